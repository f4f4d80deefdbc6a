import assert from 'node:assert/strict';
import { AppsV1Api, CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { FlinkRestClient } from '../../activities/flink/rest-client';
import type { RestoredCheckpoint } from '../../activities/flink/rest-types';
import { clusterName } from '../../activities/names';
import type { KubernetesRuntime } from '../../activities/runtime/kubernetes/kubernetes-runtime';
import { CLUSTER, COMPONENT } from '../../activities/runtime/kubernetes/manifests/labels';
import { waitUntil } from '../../activities/runtime/local/wait';
import type { KubernetesWithRealNode } from '../../client/dev/kubernetes-node';
import type { S3Gateway } from '../../client/dev/s3-gateway';
import { fleetTestBed, type FleetTestBed } from '../harness/fleet';
import { realNodeRuntime, startRealNodeFlink } from '../harness/real-node-flink';
import { sqlPipeline } from '../pipeline/fixtures';

const SMALL = { jobManager: { cpu: 0.5, memoryMb: 1024 }, taskManager: { cpu: 0.5, memoryMb: 1024 } };

/**
 * Pods die: a node drains, the kernel kills one for memory. On the real node, a JobManager pod
 * deleted at once or evicted is replaced by its Deployment and Flink's Kubernetes HA resumes the same
 * job from its latest checkpoint, with no redeploy by the workflow; a TaskManager pod deleted at once
 * makes the job restart from its latest checkpoint on the pod its Deployment brings up instead.
 */
describe('a running pipeline on the real node survives its pods being killed', function () {
  this.timeout(1_200_000);
  let k8s: KubernetesWithRealNode;
  let s3: S3Gateway;
  let bed: FleetTestBed;
  let runtime: KubernetesRuntime;
  const tenant = `ha${Date.now().toString(36)}`;

  before(async () => {
    ({ k8s, s3 } = await startRealNodeFlink());
    bed = fleetTestBed('real-node-ha', () => {
      runtime = realNodeRuntime({ k8s, s3 });
      return runtime;
    });
  });

  after(async () => {
    await bed?.cleanUp();
    await s3?.stop();
  });

  it('recovers the same job from its checkpoint after its JobManager pod is killed or evicted, restarts it after a TaskManager pod is killed, and still stops with a savepoint', async () => {
    const namespace = runtime.namespaceOf(tenant);
    const cluster = clusterName(tenant, 'orders');
    const core = k8s.kubeConfig.makeApiClient(CoreV1Api);
    const apps = k8s.kubeConfig.makeApiClient(AppsV1Api);
    const pods = async (component: string): Promise<V1Pod[]> => (await core.listNamespacedPod({ namespace, labelSelector: `${CLUSTER}=${cluster},${COMPONENT}=${component}` }))
      .items.filter((p) => !p.metadata?.deletionTimestamp);
    const deploymentUids = async (): Promise<string[]> => (await apps.listNamespacedDeployment({ namespace, labelSelector: `${CLUSTER}=${cluster}` }))
      .items.map((d) => d.metadata?.uid ?? '').sort();
    const kill = async (pod: V1Pod): Promise<void> => {
      await core.deleteNamespacedPod({ name: pod.metadata?.name ?? '', namespace, gracePeriodSeconds: 0 });
    };

    const result = await bed.withWorker(async () => {
      await bed.client.startPipeline(sqlPipeline(tenant, 'orders', SMALL));
      const status = await waitUntil('orders to run', async () => {
        const s = await bed.client.getPipeline(tenant, 'orders');
        if (s.phase === 'Failed' || s.phase === 'Stopped') throw new Error(`orders ended: ${s.failure ?? s.phase}`);
        return s.phase === 'Running' ? s : undefined;
      }, { timeoutMs: 600_000, intervalMs: 1_000 });
      const jobId = status.jobId ?? '';
      const observed = await runtime.observe({ tenant, name: 'orders' });
      assert.ok(observed.endpoints, 'orders has no endpoints');
      const rest = new FlinkRestClient(observed.endpoints.restUrl, { transport: runtime.flinkTransport, timeoutMs: 10_000 });
      const checkpointed = await waitUntil('a completed checkpoint', async () => (await rest.checkpoints(jobId)).latestCheckpoint, { timeoutMs: 180_000, intervalMs: 1_000 });
      const deployments = await deploymentUids();

      /** The job runs again (REST answers through the Service) and started from a checkpoint newer than `after`. */
      const recovered = (what: string, after: number): Promise<RestoredCheckpoint> => waitUntil(what, async () => {
        const [job, checkpoints] = await Promise.all([rest.job(jobId), rest.checkpoints(jobId)]).catch(() => [undefined, undefined] as const);
        const restored = checkpoints?.restored;
        return job?.state === 'RUNNING' && restored && !restored.isSavepoint && restored.id >= after ? restored : undefined;
      }, { timeoutMs: 600_000, intervalMs: 2_000 });

      /** A newer checkpoint than `id` completed: a restore after this must start from beyond `id`. */
      const checkpointAfter = (id: number): Promise<true> => waitUntil(`a checkpoint after ${id}`,
        async () => (((await rest.checkpoints(jobId)).latestCheckpoint?.id ?? 0) > id ? true : undefined), { timeoutMs: 180_000, intervalMs: 1_000 });

      /** Its Deployment brings a new JobManager pod, HA gives it the same job back, and the workflow never redeployed. */
      const jobManagerReplaced = async (how: string, remove: (pod: V1Pod) => Promise<void>, after: number): Promise<RestoredCheckpoint> => {
        const [jobManager] = await pods('jobmanager');
        assert.ok(jobManager, 'no JobManager pod');
        await remove(jobManager);
        const restored = await recovered(`the job to be recovered by a new JobManager after it was ${how}`, after);
        const [replacement] = await pods('jobmanager');
        assert.ok(replacement && replacement.metadata?.uid !== jobManager.metadata?.uid, `the JobManager pod ${how} was not replaced`);
        // Its readiness probe asks Flink's REST for the job: the pod is Ready once HA gave the job back.
        await waitUntil(`the new JobManager pod to be Ready`, async () => ((await core.readNamespacedPod({ name: replacement.metadata?.name ?? '', namespace }))
          .status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? true : undefined), { timeoutMs: 120_000, intervalMs: 1_000 });
        assert.deepEqual((await rest.jobs()).map((j) => j.id), [jobId], 'the new JobManager runs the same job, and only it');
        assert.deepEqual(await deploymentUids(), deployments, 'the workflow redeployed the cluster instead of letting HA recover it');
        const status = await bed.client.getPipeline(tenant, 'orders');
        assert.deepEqual([status.phase, status.jobId, status.restarts], ['Running', jobId, 0]);
        return restored;
      };

      // Deleted at once, as `kubectl delete pod --grace-period=0 --force` does.
      const afterKill = await jobManagerReplaced('deleted at once', kill, checkpointed.id);
      // Evicted, as a node drain does: the JobManager gets its SIGTERM and grace period, and its old pod lingers while the new one starts.
      await checkpointAfter(afterKill.id);
      const afterJobManager = await jobManagerReplaced('evicted', async (pod) => {
        const name = pod.metadata?.name ?? '';
        await core.createNamespacedPodEviction({ name, namespace, body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace } } });
      }, afterKill.id + 1);

      // A TaskManager pod, deleted at once: the job restarts from a newer checkpoint on its replacement.
      await checkpointAfter(afterJobManager.id);
      const [taskManager] = await pods('taskmanager');
      assert.ok(taskManager, 'no TaskManager pod');
      await kill(taskManager);
      await recovered('the job to restart on a new TaskManager', afterJobManager.id + 1);
      const registered = (await rest.taskManagers()).map((t) => t.id);
      assert.ok(!registered.includes(taskManager.metadata?.name ?? ''), `the killed TaskManager ${taskManager.metadata?.name} is still registered`);
      assert.deepEqual((await rest.jobs()).map((j) => j.id), [jobId]);
      const afterTaskManager = await bed.client.getPipeline(tenant, 'orders');
      assert.deepEqual([afterTaskManager.phase, afterTaskManager.jobId, afterTaskManager.restarts], ['Running', jobId, 0]);

      return bed.client.stopPipeline(tenant, 'orders', { savepoint: true, drain: false, wait: true });
    });
    assert.equal(result?.finalState, 'Stopped');
    assert.match(result?.savepointPath ?? '', new RegExp(`^s3://fleet/state/${tenant}/.*/savepoints/savepoint-`));
    await k8s.assertNoManagedObjectsLeft([namespace], { selector: `${CLUSTER}=${cluster}`, graceMs: 120_000 });
    // Flink's own HA ConfigMaps, by the one label every version of them carries.
    assert.deepEqual((await core.listNamespacedConfigMap({ namespace, labelSelector: `app=${cluster}` })).items.map((c) => c.metadata?.name), []);
    assert.deepEqual((await core.listNamespacedPod({ namespace, labelSelector: `${CLUSTER}=${cluster}` })).items.map((p) => p.metadata?.name), []);
  });
});
