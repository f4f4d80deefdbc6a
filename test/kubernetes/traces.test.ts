import assert from 'node:assert/strict';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { clusterName } from '../../activities/names';
import { KubernetesObjects } from '../../activities/runtime/kubernetes/api';
import { objectNames } from '../../activities/runtime/kubernetes/manifests/labels';
import { ClusterStartFailed } from '../../activities/runtime/types';
import { startTracing, type FleetTracing } from '../../client/tracing';
import { kubernetesTestBed } from '../harness/global';
import { sqlPipeline } from './fixtures';
import { RuntimeUnderTest } from './runtime-helpers';

/** The spans `work` made under a span of its own, as an activity's would be. */
async function spansUnder(exporter: InMemorySpanExporter, work: () => Promise<void>): Promise<{ parent: ReadableSpan; calls: ReadableSpan[] }> {
  exporter.reset();
  await trace.getTracer('test').startActiveSpan('RunActivity:test', async (span) => {
    try {
      await work();
    } finally {
      span.end();
    }
  });
  const spans = exporter.getFinishedSpans();
  const parent = spans.find((span) => span.name === 'RunActivity:test') as ReadableSpan;
  const { traceId, spanId } = parent.spanContext();
  const strays = spans.filter((span) => span !== parent && (span.spanContext().traceId !== traceId || span.parentSpanId !== spanId));
  assert.deepEqual(strays.map((span) => span.name), [], 'every call is a child of the span that was active');
  return { parent, calls: spans.filter((span) => span !== parent) };
}

describe('OpenTelemetry spans of the kubernetes runtime\'s API calls (in-memory exporter, real API server)', () => {
  let exporter: InMemorySpanExporter;
  let tracing: FleetTracing;
  let bed: RuntimeUnderTest;

  before(async () => {
    bed = new RuntimeUnderTest(await kubernetesTestBed());
    exporter = new InMemorySpanExporter();
    tracing = startTracing(new SimpleSpanProcessor(exporter), 'flink-fleet-test');
  });
  after(async () => {
    await tracing?.shutdown();
  });
  afterEach(async () => {
    await bed.cleanUp();
  });

  it('gives each call of a deploy and a delete a client span under the caller\'s, named by verb and kind, the object in its attributes', async () => {
    const { tenant, namespace } = await bed.tenant();
    const spec = sqlPipeline(tenant, 'orders');
    const { calls } = await spansUnder(exporter, async () => {
      await bed.runtime.deployApplicationCluster(spec);
      await bed.runtime.deleteCluster(spec);
    });
    assert.deepEqual(calls.filter((span) => span.kind !== SpanKind.CLIENT || !span.name.startsWith('Kubernetes ')).map((span) => span.name), [],
      'the runtime makes no span but its API calls');
    const names = new Set(calls.map((span) => span.name));
    for (const name of ['Kubernetes apply ConfigMap', 'Kubernetes apply Deployment', 'Kubernetes apply Service', 'Kubernetes delete Deployment']) {
      assert.ok(names.has(name), `${name} among ${[...names].join(', ')}`);
    }
    const jobManager = objectNames(clusterName(tenant, 'orders')).jobManager;
    const apply = calls.find((span) => span.name === 'Kubernetes apply Deployment' && span.attributes['k8s.object.name'] === jobManager);
    assert.ok(apply, `an apply of the JobManager's Deployment ${jobManager}`);
    assert.deepEqual(apply.attributes, {
      'k8s.verb': 'apply', 'k8s.api_version': 'apps/v1', 'k8s.kind': 'Deployment', 'k8s.namespace.name': namespace, 'k8s.object.name': jobManager,
    });
    assert.deepEqual(calls.filter((span) => span.status.code === SpanStatusCode.ERROR).map((span) => span.name), [], 'nothing failed');
  });

  it('marks a call the API server refused as an error, with its message', async () => {
    const { namespace } = await bed.tenant();
    const objects = new KubernetesObjects((await kubernetesTestBed()).kubeConfig);
    const { calls } = await spansUnder(exporter, async () => {
      const refused = await objects.apply('refused', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'refused', namespace }, data: { 'not a key': '' } }).then(() => undefined, (e: unknown) => e);
      assert.ok(refused instanceof ClusterStartFailed, String(refused));
    });
    assert.deepEqual(calls.map((span) => [span.name, span.status.code]), [['Kubernetes apply ConfigMap', SpanStatusCode.ERROR]]);
    assert.match(calls[0]?.status.message ?? '', /not a key/);
    assert.equal(calls[0]?.events[0]?.name, 'exception');
  });

  it('leaves a get or a delete of an object that is not there unmarked, with k8s.found false: absence is an answer the caller expects', async () => {
    const { namespace } = await bed.tenant();
    const objects = new KubernetesObjects((await kubernetesTestBed()).kubeConfig);
    const absent = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'absent', namespace } };
    const { calls } = await spansUnder(exporter, async () => {
      assert.equal(await objects.read(absent), undefined);
      await objects.delete(absent);
    });
    assert.deepEqual(calls.map((span) => [span.name, span.status.code, span.attributes['k8s.found']]),
      [['Kubernetes get ConfigMap', SpanStatusCode.UNSET, false], ['Kubernetes delete ConfigMap', SpanStatusCode.UNSET, false]]);
  });
});
