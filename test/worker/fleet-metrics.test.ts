import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ScheduleNotFoundError } from '@temporalio/client';
import { clusterName } from '../../activities/names';
import { freePort } from '../../activities/runtime/local/ports';
import { waitUntil } from '../../activities/runtime/local/wait';
import { janitorScheduleId, type OrphanCluster } from '../../workflows/janitor/types';
import { FLEET_METRICS } from '../../workflows/metric-names';
import { pipelineWorkflowId } from '../../workflows/pipeline/spec';
import { fleetTestBed, type FleetTestBed } from '../harness/fleet';
import { temporalTestBed } from '../harness/global';
import { sampleValue, samplesOf, scrapeUntil, type Sample } from '../harness/prometheus';
import { promqlMetricNames } from '../harness/promql';
import { startWorkerProcess, type WorkerProcess } from '../harness/worker-process';
import { killClusterProcess, sqlPipeline } from '../pipeline/fixtures';
import { NUMBERS, poolFixture } from '../preview/pool-fixture';

const M = FLEET_METRICS;
const DASHBOARD = join(__dirname, '..', '..', 'deploy', 'grafana', 'flink-fleet.json');

/** The last scrape of the first test: the dashboard's test checks its queries against what a worker really served. */
let finalScrape: Sample[] | undefined;

const has = (samples: Sample[], name: string, labels: Record<string, string>, value: number): boolean =>
  samplesOf(samples, name, labels).some((s) => s.value === value);

interface Panel { title?: string; targets?: { expr?: string }[]; panels?: Panel[] }
interface Variable { name: string; definition?: string }

/** Every panel's queries, and the metric each `label_values(metric, label)` variable reads. */
function dashboardQueries(): { panel: string; expr: string }[] {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[]; templating: { list: Variable[] } };
  const flatten = (panels: Panel[]): Panel[] => panels.flatMap((p) => [p, ...flatten(p.panels ?? [])]);
  const panels = flatten(dashboard.panels).flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title ?? '(untitled)', expr: t.expr ?? '' })));
  const variables = dashboard.templating.list.flatMap((v) => {
    const metric = /^label_values\(\s*([^,]+),\s*\w+\s*\)$/.exec(v.definition ?? '')?.[1];
    return metric === undefined ? [] : [{ panel: `variable ${v.name}`, expr: metric }];
  });
  return [...panels, ...variables];
}

describe('the fleet metrics of a worker process', () => {
  let bed: FleetTestBed;
  let worker: WorkerProcess | undefined;
  let pool: string;
  beforeEach(() => {
    bed = fleetTestBed('metrics');
    pool = `metrics-${Date.now().toString(36)}`;
  });
  afterEach(async () => {
    await bed.client.stopPool(pool).catch(() => undefined);
    await temporalTestBed().env.client.schedule.getHandle(janitorScheduleId(bed.taskQueue)).delete().catch((error: unknown) => {
      if (!(error instanceof ScheduleNotFoundError)) throw error;
    });
    await worker?.stop();
    worker = undefined;
    await bed.cleanUp();
  });

  it('counts a pipeline, its restart and clusters, previews that hit and missed the pool, a leaked cluster, and the pool, by tenant and pool', async function () {
    this.timeout(600_000);
    const { env } = temporalTestBed();
    const port = await freePort();
    const metricsUrl = `http://127.0.0.1:${port}/metrics`;
    worker = startWorkerProcess({ taskQueue: bed.taskQueue, stateDir: bed.stateDir, logFile: join(bed.stateDir, 'worker.log'), env: { FLEET_METRICS_PORT: String(port) } });
    const startedAt = Date.now();
    await bed.client.startPool({ sessionCluster: pool, target: 1, reconcileSeconds: 2 });
    await bed.client.startPipeline(sqlPipeline('acme', 'orders'));
    await poolFixture(bed, pool).settled(1, 240_000);
    await waitUntil('acme/orders to run', async () => ((await bed.client.getPipeline('acme', 'orders')).phase === 'Running' ? true : undefined),
      { timeoutMs: 240_000, intervalMs: 500 });
    const runningAfterMs = Date.now() - startedAt;
    const preview = await (await bed.client.preview('acme', `${NUMBERS}; SELECT n FROM numbers`, { pool, maxRows: 3 })).result();
    assert.equal(preview.stoppedBecause, 'row-limit');
    const firstRowMs = preview.timings.firstRowMs as number;
    // A preview on a pool that does not run fails its claim: one failed activity for the SDK's counter.
    const unpooled = await (await bed.client.preview('acme', `${NUMBERS}; SELECT n FROM numbers`, { pool: `${pool}-absent`, maxRows: 3 })).result();
    assert.equal(unpooled.stoppedBecause, 'error');

    const live = await scrapeUntil(metricsUrl, 'the census to count acme/orders as Running and the pool to refill', (s) =>
      has(s, M.pipelines, { tenant: 'acme', phase: 'Running' }, 1) && has(s, M.poolIdle, { pool }, 1) && has(s, M.poolBusy, { pool }, 0)
      && samplesOf(s, `${M.previewFirstRow}_count`, { tenant: 'acme' }).length === 1);
    assert.equal(sampleValue(live, M.pipelinesStarted, { tenant: 'acme' }), 1);
    assert.equal(sampleValue(live, M.pipelineRestarts, { tenant: 'acme' }), 0);
    assert.equal(sampleValue(live, `${M.pipelineTimeToRunning}_count`, { tenant: 'acme', after: 'start' }), 1);
    const timeToRunning = sampleValue(live, `${M.pipelineTimeToRunning}_sum`, { tenant: 'acme', after: 'start' });
    assert.ok(timeToRunning > 0 && timeToRunning <= runningAfterMs, `time to Running ${timeToRunning} ms, seen Running after ${runningAfterMs} ms`);
    assert.deepEqual(samplesOf(live, M.pipelines, { tenant: 'acme' }).filter((s) => s.value > 0).map((s) => [s.labels.phase, s.value]), [['Running', 1]]);
    assert.equal(sampleValue(live, `${M.previewFirstRow}_count`, { tenant: 'acme' }), 1);
    assert.equal(sampleValue(live, `${M.previewFirstRow}_sum`, { tenant: 'acme' }), firstRowMs, 'the first-row time the preview reported');
    assert.equal(sampleValue(live, 'temporal_activity_execution_failed', { activity_type: 'claimTaskManager' }), 1);
    assert.equal(sampleValue(live, M.poolTarget, { pool }), 1);
    assert.equal(sampleValue(live, M.poolClaimHits, { pool }), 1, 'the pool was settled: the claim found an idle TaskManager');
    assert.equal(sampleValue(live, M.poolClaimMisses, { pool }), 0);
    assert.equal(sampleValue(live, M.clustersCreated, { tenant: 'acme', kind: 'application' }), 1);
    assert.equal(sampleValue(live, M.clustersCreated, { tenant: 'fleet', kind: 'session' }), 1);
    assert.deepEqual(samplesOf(live, M.pipelinesStarted).map((s) => s.labels), [{ tenant: 'acme', namespace: 'default', taskQueue: bed.taskQueue, workflowType: 'runPipeline' }],
      'the SDK adds the task queue and workflow type');

    // A TaskManager that dies makes a restart: the cluster is deleted and deployed again.
    killClusterProcess(bed.stateDir, clusterName('acme', 'orders'), 'taskmanager-1');
    await waitUntil('acme/orders to run again after its restart', async () => {
      const status = await bed.client.getPipeline('acme', 'orders');
      return status.phase === 'Running' && status.restarts === 1 ? true : undefined;
    }, { timeoutMs: 240_000, intervalMs: 500 });
    // With no idle TaskManager the claim waits for one to start: a miss.
    await bed.client.resizePool(0, pool);
    await poolFixture(bed, pool).settled(0, 120_000);
    const missed = await (await bed.client.preview('acme', `${NUMBERS}; SELECT n FROM numbers`, { pool, maxRows: 3 })).result();
    assert.equal(missed.stoppedBecause, 'row-limit');
    const after = await scrapeUntil(metricsUrl, 'the restart and the missed claim to be counted', (s) =>
      has(s, M.pipelineRestarts, { tenant: 'acme' }, 1) && has(s, M.poolClaimMisses, { pool }, 1));
    assert.equal(sampleValue(after, `${M.pipelineTimeToRunning}_count`, { tenant: 'acme', after: 'restart' }), 1);
    assert.equal(sampleValue(after, M.clustersDeleted, { tenant: 'acme', kind: 'application' }), 1, 'the restart deleted the first cluster');
    assert.equal(sampleValue(after, M.clustersCreated, { tenant: 'acme', kind: 'application' }), 2);
    assert.equal(sampleValue(after, M.poolClaimHits, { pool }), 1);
    assert.equal(sampleValue(after, `${M.previewFirstRow}_count`, { tenant: 'acme' }), 2);

    // A pipeline terminated from the UI never cleans up: its cluster is the janitor's to find.
    await env.client.workflow.getHandle(pipelineWorkflowId('acme', 'orders')).terminate('test: its cleanup never runs');
    const janitor = await env.client.workflow.execute('collectOrphanClusters', {
      taskQueue: bed.taskQueue, workflowId: `janitor-test/${bed.taskQueue}`, args: [{ graceSeconds: 0 }],
    }) as { deleted: OrphanCluster[] };
    assert.deepEqual(janitor.deleted.map((o) => o.owner), [pipelineWorkflowId('acme', 'orders')]);
    await bed.client.stopPool(pool);

    finalScrape = await scrapeUntil(metricsUrl, 'the census to see acme/orders gone', (s) => has(s, M.pipelines, { tenant: 'acme', phase: 'Running' }, 0));
    assert.equal(sampleValue(finalScrape, M.janitorLeakedClusters, { tenant: 'acme' }), 1);
    assert.equal(sampleValue(finalScrape, M.clustersDeleted, { tenant: 'fleet', kind: 'session' }), 1, 'the stopped pool deleted its session cluster');
    assert.equal(sampleValue(finalScrape, M.poolIdle, { pool }), 0, 'a stopped pool shows no idle TaskManager');
    assert.equal(sampleValue(finalScrape, M.pipelinesStarted, { tenant: 'acme' }), 1, 'the janitor, the restart and the pool started no pipeline');
    // The SDK labels each series with the workflow type that emitted it: the pipeline's and the janitor's.
    assert.deepEqual(samplesOf(finalScrape, M.clustersDeleted, { tenant: 'acme', kind: 'application' }).map((s) => [s.labels.workflowType, s.value]).sort(),
      [['collectOrphanClusters', 1], ['runPipeline', 1]], 'the janitor\'s deletion counts too: created minus deleted is what is alive');
  });

  it('has a dashboard whose every query names metrics that the worker served in that scrape', () => {
    assert.ok(finalScrape, 'the scrape of the test above');
    const served = new Set(finalScrape.map((s) => s.name));
    const queries = dashboardQueries();
    assert.ok(queries.length >= 10, `the dashboard has ${queries.length} queries`);
    const missing = queries.flatMap(({ panel, expr }) => {
      const names = [...promqlMetricNames(expr)];
      if (names.length === 0) return [`${panel}: no metric in ${expr}`];
      return names.filter((name) => !served.has(name)).map((name) => `${panel}: ${name}`);
    });
    assert.deepEqual(missing, []);
    const used = new Set(queries.flatMap(({ expr }) => [...promqlMetricNames(expr)]));
    const fleetUnused = Object.values(M).filter((name) => ![name, `${name}_bucket`, `${name}_count`, `${name}_sum`].some((n) => used.has(n)));
    assert.deepEqual(fleetUnused, [], 'every fleet metric has a panel');
  });
});
