import assert from 'node:assert/strict';
import { AppsV1Api } from '@kubernetes/client-node';
import type { FlinkRestClient } from '../../activities/flink/rest-client';
import type { KubernetesRuntime } from '../../activities/runtime/kubernetes/kubernetes-runtime';
import { CLUSTER } from '../../activities/runtime/kubernetes/manifests/labels';
import { waitUntil } from '../../activities/runtime/local/wait';
import type { KubernetesWithRealNode } from '../../client/dev/kubernetes-node';
import type { S3Gateway } from '../../client/dev/s3-gateway';
import type { PipelineSpecInput } from '../../workflows/pipeline/spec';
import { fixtureJar } from '../harness/fixture-jar';
import { fleetTestBed, type FleetTestBed } from '../harness/fleet';
import { putTenantJar, realNodeRuntime, startRealNodeFlink } from '../harness/real-node-flink';
import { realNodeJobs, type RealNodeJobs } from '../harness/real-node-jobs';

const SMALL = { jobManager: { cpu: 0.5, memoryMb: 1024 }, taskManager: { cpu: 0.5, memoryMb: 1024 } };
/** test/fixtures/keyed-counter: a count of generated numbers in keyed state, shown by two gauges of its `counter` operator. */
const KEYED_COUNTER = 'io.flinkfleet.counter.KeyedCounter';

interface CounterGauges {
  /** The count after the last number this run counted. */
  readonly count: number;
  /** The count this run found in its state at its first number: 0 on a fresh start. */
  readonly countAtStart: number;
}

/** The counter's gauges once this run has counted a number (Flink's REST fetches metrics every few seconds). */
async function counterGauges(flink: FlinkRestClient, jobId: string): Promise<CounterGauges> {
  const vertex = (await flink.job(jobId)).vertices.find((v) => v.name.startsWith('counter'));
  assert.ok(vertex, `job ${jobId} has no counter vertex`);
  return waitUntil('the counter\'s gauges', async () => {
    const metrics = await flink.vertexMetrics(jobId, vertex.id, ['counter.count', 'counter.countAtStart']);
    const count = metrics['counter.count']?.max;
    const countAtStart = metrics['counter.countAtStart']?.max;
    return count !== undefined && countAtStart !== undefined && countAtStart >= 0 ? { count, countAtStart } : undefined;
  }, { timeoutMs: 120_000, intervalMs: 1_000 });
}

/**
 * A tenant's own jar, its whole life on a node that runs containers, through Temporal: the runtime
 * fetches the jar from the tenant's artifact area on S3, the job keeps keyed state that checkpoints
 * and savepoints to S3, and a new cluster started from the savepoint fetches the jar again and
 * carries on counting where the savepoint left off.
 */
describe('a jar connection\'s whole life on the real node: keyed state through a savepoint on S3', function () {
  this.timeout(900_000);
  let k8s: KubernetesWithRealNode;
  let s3: S3Gateway;
  let bed: FleetTestBed;
  let runtime: KubernetesRuntime;
  let jobs: RealNodeJobs;
  const tenant = `jc${Date.now().toString(36)}`;

  before(async () => {
    ({ k8s, s3 } = await startRealNodeFlink());
    bed = fleetTestBed('real-node-connection', () => {
      runtime = realNodeRuntime({ k8s, s3 }, { tenantAccounts: 'versity' });
      return runtime;
    });
    jobs = realNodeJobs(s3, bed.client, runtime, tenant);
  });

  after(async () => {
    await bed?.cleanUp();
    if (runtime) await k8s.assertNoManagedObjectsLeft([runtime.namespaceOf(tenant)], { selector: CLUSTER, graceMs: 120_000 });
    await s3?.stop();
  });

  it('checkpoints and savepoints its keyed state to S3, and a start from the savepoint counts on from it, leaving no object', async () => {
    const spec: PipelineSpecInput = {
      tenant, name: 'counter', ...SMALL,
      job: { kind: 'jar', jar: await putTenantJar({ s3 }, tenant, fixtureJar('keyed-counter')), entryClass: KEYED_COUNTER },
      flinkOptions: { 'execution.checkpointing.interval': '2 s' },
    };
    const first = await bed.withWorker(async () => {
      await bed.client.startPipeline(spec);
      const status = await jobs.running('counter');
      assert.equal(status.kind, 'connection');
      const jobId = status.jobId ?? '';
      // Read before the stop: the savepoint, taken after, holds at least this count.
      const { count, countAtStart } = await counterGauges(await jobs.rest('counter'), jobId);
      assert.equal(countAtStart, 0, 'a fresh start finds no count in its state');
      await waitUntil('a checkpoint on S3', async () => (jobs.completedCheckpoints('counter', jobId).length > 0 ? true : undefined), { timeoutMs: 120_000 });
      return { jobId, count, result: await bed.client.stopPipeline(tenant, 'counter', { savepoint: true, drain: false, wait: true }) };
    });
    assert.equal(first.result?.finalState, 'Stopped');
    const savepoint = first.result?.savepointPath ?? '';
    assert.match(savepoint, new RegExp(`^s3://fleet/state/${tenant}/.*/savepoints/savepoint-`));
    assert.ok(jobs.savepointStored(savepoint), `no _metadata under ${savepoint} on the gateway`);
    const apps = k8s.kubeConfig.makeApiClient(AppsV1Api);
    assert.deepEqual((await apps.listNamespacedDeployment({ namespace: runtime.namespaceOf(tenant), labelSelector: CLUSTER })).items.map((d) => d.metadata?.name), []);

    const second = await bed.withWorker(async () => {
      await bed.client.startPipeline({ ...spec, restoreFrom: savepoint });
      const status = await jobs.running('counter');
      const jobId = status.jobId ?? '';
      const flink = await jobs.rest('counter');
      const { restored } = await flink.checkpoints(jobId);
      const gauges = await counterGauges(flink, jobId);
      return { jobId, restored, gauges, result: await bed.client.stopPipeline(tenant, 'counter', { savepoint: false, drain: false, wait: true }) };
    });
    assert.notEqual(second.jobId, first.jobId);
    assert.deepEqual({ isSavepoint: second.restored?.isSavepoint, externalPath: second.restored?.externalPath }, { isSavepoint: true, externalPath: savepoint });
    assert.ok(first.count > 0, `the first run counted nothing (${first.count})`);
    assert.ok(second.gauges.countAtStart >= first.count,
      `the restarted connection found ${second.gauges.countAtStart} in its state, less than the ${first.count} counted before the savepoint`);
    assert.ok(second.gauges.count > second.gauges.countAtStart, 'the restarted connection counts on');
    assert.equal(second.result?.finalState, 'Stopped');
  });
});
