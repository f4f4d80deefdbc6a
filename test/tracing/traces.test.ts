import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Client } from '@temporalio/client';
import { DefaultLogger, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { clusterName } from '../../activities/names';
import { clusterLayout } from '../../activities/runtime/local/layout';
import { waitUntil } from '../../activities/runtime/local/wait';
import { FAILURE_CONVERTER_PATH, fleetDataConverter } from '../../client/codec/data-converter';
import { FleetClient } from '../../client/fleet-client';
import { startTracing, tracingClientInterceptors, type FleetTracing } from '../../client/tracing';
import { createFleetWorker } from '../../worker/fleet-worker';
import { TRACING_WORKFLOW_INTERCEPTORS } from '../../worker/tracing';
import { sessionClusterRef } from '../../workflows/pool/api';
import { fleetTestBed, type FleetTestBed } from '../harness/fleet';
import { temporalTestBed } from '../harness/global';
import { scopeDir } from '../harness/processes';
import { sqlPipeline } from '../pipeline/fixtures';
import { poolFixture } from '../preview/pool-fixture';

const FIVE = "CREATE TEMPORARY TABLE five (n BIGINT) WITH ('connector' = 'datagen', 'number-of-rows' = '5', 'fields.n.kind' = 'sequence', 'fields.n.start' = '1', 'fields.n.end' = '5')";

/** The finished spans of one process, read as a tree by their parent ids. */
class SpanTree {
  constructor(private readonly spans: readonly ReadableSpan[]) {}

  named(name: string): ReadableSpan[] {
    return this.spans.filter((span) => span.name === name);
  }

  childrenOf(parent: ReadableSpan): ReadableSpan[] {
    const { traceId, spanId } = parent.spanContext();
    return this.spans
      .filter((span) => span.spanContext().traceId === traceId && span.parentSpanId === spanId)
      .sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]);
  }

  parentOf(child: ReadableSpan): ReadableSpan | undefined {
    const { traceId } = child.spanContext();
    return this.spans.find((span) => span.spanContext().traceId === traceId && span.spanContext().spanId === child.parentSpanId);
  }
}

function only(spans: readonly ReadableSpan[], what: string): ReadableSpan {
  assert.equal(spans.length, 1, `one ${what}, found ${spans.length}`);
  return spans[0] as ReadableSpan;
}

function request(span: ReadableSpan): string {
  return `${String(span.attributes['http.request.method'])} ${String(span.attributes['url.path'])}`;
}

describe('OpenTelemetry traces: client, workflow, activities and Flink REST in one trace (in-memory exporter)', () => {
  let exporter: InMemorySpanExporter;
  let tracing: FleetTracing;
  let workflowBundle: WorkflowBundleWithSourceMap;
  let bed: FleetTestBed;
  let client: FleetClient;

  before(async () => {
    exporter = new InMemorySpanExporter();
    tracing = startTracing(new SimpleSpanProcessor(exporter), 'flink-fleet-test');
    // The run-wide bundle has no tracing interceptors: a traced worker needs its workflows bundled with them.
    workflowBundle = await bundleWorkflowCode({
      workflowsPath: require.resolve('../../workflows'),
      workflowInterceptorModules: [TRACING_WORKFLOW_INTERCEPTORS],
      failureConverterPath: FAILURE_CONVERTER_PATH,
      logger: new DefaultLogger('WARN'),
    });
  });
  after(async () => {
    await tracing?.shutdown();
  });
  beforeEach(() => {
    bed = fleetTestBed('traces');
    const { env, codecKeys } = temporalTestBed();
    client = new FleetClient(new Client({
      connection: env.connection, namespace: env.namespace ?? 'default', dataConverter: fleetDataConverter(codecKeys), interceptors: tracingClientInterceptors(tracing),
    }), bed.taskQueue);
    exporter.reset();
  });
  afterEach(async () => {
    await bed.cleanUp();
  });

  async function withTracedWorker<T>(body: () => Promise<T>): Promise<T> {
    const { env, codecKeys } = temporalTestBed();
    const worker = await createFleetWorker({
      connection: env.nativeConnection, namespace: env.namespace ?? 'default', taskQueue: bed.taskQueue, runtime: bed.runtime, workflowBundle, codecKeys, tracing,
    });
    return worker.runUntil(body);
  }

  /** The workflow's own spans reach the exporter through the worker's sink, after the activation that ended them. */
  async function workflowRunOf(workflowType: string): Promise<{ tree: SpanTree; run: ReadableSpan }> {
    const tree = await waitUntil(`the RunWorkflow span of ${workflowType}`, () => {
      const spans = new SpanTree(exporter.getFinishedSpans());
      return Promise.resolve(spans.named(`RunWorkflow:${workflowType}`).length > 0 ? spans : undefined);
    }, { timeoutMs: 30_000, intervalMs: 100 });
    const start = only(tree.named(`StartWorkflow:${workflowType}`), `StartWorkflow:${workflowType} span`);
    const run = only(tree.named(`RunWorkflow:${workflowType}`), `RunWorkflow:${workflowType} span`);
    assert.equal(run.parentSpanId, start.spanContext().spanId, 'the client\'s StartWorkflow span is the parent of the workflow\'s run');
    assert.equal(run.spanContext().traceId, start.spanContext().traceId);
    return { tree, run };
  }

  /** Each RunActivity span of the run, checked to hang under the workflow's StartActivity span of the same type. */
  function activityRunsOf(tree: SpanTree, run: ReadableSpan): Map<string, ReadableSpan[]> {
    const runs = new Map<string, ReadableSpan[]>();
    for (const scheduled of tree.childrenOf(run).filter((span) => span.name.startsWith('StartActivity:'))) {
      const type = scheduled.name.slice('StartActivity:'.length);
      for (const attempt of tree.childrenOf(scheduled)) {
        assert.equal(attempt.name, `RunActivity:${type}`, `${scheduled.name} has only its activity's runs as children`);
        runs.set(type, [...(runs.get(type) ?? []), attempt]);
      }
    }
    return runs;
  }

  it('follows a pipeline start from the client through the workflow and its activities to each Flink REST call', async () => {
    await withTracedWorker(async () => {
      await client.startPipeline(sqlPipeline('traced', 'orders'));
      await waitUntil('pipeline traced/orders to run', async () => ((await client.getPipeline('traced', 'orders')).phase === 'Running' ? true : undefined),
        { timeoutMs: 150_000, intervalMs: 500 });
      const result = await client.stopPipeline('traced', 'orders', { savepoint: false, drain: false, wait: true });
      assert.equal(result?.finalState, 'Stopped');
    });
    const { tree, run } = await workflowRunOf('runPipeline');
    const runs = activityRunsOf(tree, run);
    for (const type of ['ensureTenant', 'deployPipelineCluster', 'awaitJobRunning', 'stopJob', 'deletePipelineCluster']) {
      assert.ok(runs.has(type), `a RunActivity:${type} span under the workflow's run (found: ${[...runs.keys()].join(', ')})`);
    }
    const flinkSpans = exporter.getFinishedSpans().filter((span) => span.name.startsWith('Flink ') && span.spanContext().traceId === run.spanContext().traceId);
    assert.ok(flinkSpans.length > 0, 'Flink REST spans in the pipeline\'s trace');
    for (const span of flinkSpans) {
      assert.match(tree.parentOf(span)?.name ?? 'no parent', /^RunActivity:/, `${span.name} ${request(span)} is a child of an activity's run`);
      assert.equal(span.name, `Flink ${String(span.attributes['http.request.method'])}`);
    }
    const polls = (runs.get('awaitJobRunning') ?? []).flatMap((attempt) => tree.childrenOf(attempt)).map(request);
    // Until the job is listed the JobManager answers 404 for it, so the list comes first, then the job.
    const firstRead = polls.findIndex((call) => /^GET \/jobs\/[0-9a-f]{32}$/.test(call));
    assert.ok(firstRead > 0 && polls.slice(0, firstRead).every((call) => call === 'GET /jobs/overview')
      && polls.slice(firstRead).every((call) => /^GET \/jobs\/[0-9a-f]{32}$/.test(call)), `awaitJobRunning lists the jobs until its job is there, then polls it: ${polls.join(', ')}`);
    const stops = (runs.get('stopJob') ?? []).map((attempt) => tree.childrenOf(attempt).map(request));
    assert.ok(stops.some((calls) => calls.length === 2 && /^GET \/jobs\/[0-9a-f]{32}$/.test(calls[0] ?? '') && calls[1] === `PATCH ${(calls[0] ?? '').slice('GET '.length)}`),
      `stopJob without a savepoint reads the job, then cancels it: ${JSON.stringify(stops)}`);
  });

  it('traces a preview from the client through the workflow to its SQL Gateway calls', async () => {
    const pool = `traces-${randomUUID().slice(0, 6)}`;
    scopeDir(clusterLayout(bed.stateDir, clusterName(sessionClusterRef(pool).tenant, pool)).dir, 'file');
    const result = await withTracedWorker(async () => {
      await client.startPool({ sessionCluster: pool, target: 1, reconcileSeconds: 3 });
      try {
        await poolFixture(bed, pool).settled(1, 150_000);
        return await (await client.preview('traced', `${FIVE}; SELECT n FROM five`, { pool })).result();
      } finally {
        await client.stopPool(pool);
      }
    });
    assert.equal(result.stoppedBecause, 'end-of-data');
    const { tree, run } = await workflowRunOf('preview');
    const runs = activityRunsOf(tree, run);
    const query = runs.get('runPreviewQuery') ?? [];
    assert.ok(query.length > 0, `a RunActivity:runPreviewQuery span under the preview's run (found: ${[...runs.keys()].join(', ')})`);
    const calls = query.flatMap((attempt) => tree.childrenOf(attempt)).map(request);
    assert.equal(calls[0], 'POST /v2/sessions', `the query opens a gateway session first: ${calls.join(', ')}`);
    assert.ok(calls.some((call) => /^POST \/v2\/sessions\/[^/]+\/statements$/.test(call)), `and submits statements to it: ${calls.join(', ')}`);
  });
});
