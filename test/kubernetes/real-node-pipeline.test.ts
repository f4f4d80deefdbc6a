import assert from 'node:assert/strict';
import { AppsV1Api, CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { clusterName } from '../../activities/names';
import type { KubernetesRuntime } from '../../activities/runtime/kubernetes/kubernetes-runtime';
import { CLUSTER, COMPONENT, objectNames } from '../../activities/runtime/kubernetes/manifests/labels';
import { STORAGE_SECRET } from '../../activities/runtime/kubernetes/manifests/storage';
import { waitUntil } from '../../activities/runtime/local/wait';
import { tenantAccessKeyId } from '../../activities/storage/tenant-access-policy';
import type { KubernetesWithRealNode } from '../../client/dev/kubernetes-node';
import type { S3Gateway } from '../../client/dev/s3-gateway';
import { pipelineWorkflowId } from '../../workflows/pipeline/spec';
import { fleetTestBed, type FleetTestBed } from '../harness/fleet';
import { temporalTestBed } from '../harness/global';
import { phasesOf } from '../harness/history';
import { realNodeRuntime, startRealNodeFlink } from '../harness/real-node-flink';
import { realNodeJobs, type RealNodeJobs } from '../harness/real-node-jobs';
import { sqlPipeline } from '../pipeline/fixtures';

/** Two cores in all: half a core each leaves room for a second cluster and the control plane. */
const SMALL = { jobManager: { cpu: 0.5, memoryMb: 1024 }, taskManager: { cpu: 0.5, memoryMb: 1024 } };

/**
 * No seam: the kubernetes runtime, through Temporal, on a node that runs containers. Flink runs in
 * pods of the fleet's own image, keeps its state on S3 (the test bed's gateway), and the worker
 * reaches its REST API through the API server's service proxy, as a worker outside the cluster does.
 */
describe('runPipeline on the real node: Flink in pods, state on S3', function () {
  this.timeout(900_000);
  let k8s: KubernetesWithRealNode;
  let s3: S3Gateway;
  let bed: FleetTestBed;
  let runtime: KubernetesRuntime;
  let jobs: RealNodeJobs;
  const tenant = `rn${Date.now().toString(36)}`;

  before(async () => {
    ({ k8s, s3 } = await startRealNodeFlink());
  });

  after(async () => {
    await s3?.stop();
  });

  beforeEach(() => {
    bed = fleetTestBed('real-node', () => {
      runtime = realNodeRuntime({ k8s, s3 }, { tenantAccounts: 'versity' });
      return runtime;
    });
    jobs = realNodeJobs(s3, bed.client, runtime, tenant);
  });

  afterEach(async () => {
    await bed.cleanUp();
    await k8s.assertNoManagedObjectsLeft([runtime.namespaceOf(tenant)], { selector: CLUSTER, graceMs: 120_000 });
  });

  it('starts a SQL pipeline in pods, checkpoints to S3, stops with a savepoint on S3, restarts from it, and leaves no object', async () => {
    const spec = sqlPipeline(tenant, 'orders', SMALL);
    const namespace = runtime.namespaceOf(tenant);
    const core = k8s.kubeConfig.makeApiClient(CoreV1Api);
    const apps = k8s.kubeConfig.makeApiClient(AppsV1Api);
    const first = await bed.withWorker(async () => {
      await bed.client.startPipeline(spec);
      const status = await jobs.running('orders');
      assert.ok(status.jobId);
      // Flink's own word, through the API server's proxy: the job runs on a TaskManager in a pod of the real node.
      const client = await jobs.rest('orders');
      assert.equal((await client.job(status.jobId)).state, 'RUNNING');
      const [taskManager] = await client.taskManagers();
      assert.ok(taskManager, 'no TaskManager registered');
      const pods = (await core.listNamespacedPod({ namespace, labelSelector: `${CLUSTER}=${clusterName(tenant, 'orders')}` })).items;
      assert.deepEqual(pods.map((p: V1Pod) => p.spec?.nodeName), pods.map(() => k8s.node.name));
      assert.ok(pods.some((p) => p.metadata?.name === taskManager.id), `TaskManager ${taskManager.id} is not one of the pods`);
      await waitUntil('a checkpoint on S3', async () => (jobs.completedCheckpoints('orders', status.jobId ?? '').length > 0 ? true : undefined), { timeoutMs: 120_000 });
      // Written with the tenant's own key, which reaches nothing but the tenant's folder (test/storage/tenant-accounts.test.ts).
      const { data } = await core.readNamespacedSecret({ name: STORAGE_SECRET, namespace });
      assert.equal(Buffer.from(data?.AWS_ACCESS_KEY_ID ?? '', 'base64').toString(), tenantAccessKeyId(tenant));
      return { jobId: status.jobId, result: await bed.client.stopPipeline(tenant, 'orders', { savepoint: true, drain: false, wait: true }) };
    });
    assert.equal(first.result?.finalState, 'Stopped');
    const savepoint = first.result?.savepointPath ?? '';
    assert.match(savepoint, new RegExp(`^s3://fleet/state/${tenant}/.*/savepoints/savepoint-`));
    assert.ok(jobs.savepointStored(savepoint), `no _metadata under ${savepoint} on the gateway`);
    assert.deepEqual((await apps.listNamespacedDeployment({ namespace, labelSelector: CLUSTER })).items.map((d) => d.metadata?.name), []);

    const second = await bed.withWorker(async () => {
      await bed.client.startPipeline({ ...spec, restoreFrom: savepoint });
      const status = await jobs.running('orders');
      const checkpoints = await (await jobs.rest('orders')).checkpoints(status.jobId ?? '');
      return { checkpoints, result: await bed.client.stopPipeline(tenant, 'orders', { savepoint: false, drain: false, wait: true }) };
    });
    assert.equal(second.checkpoints.restored?.externalPath, savepoint);
    assert.equal(second.result?.finalState, 'Stopped');
  });

  it('rescales a running pipeline in place: the same job on the same JobManager pod, a second TaskManager pod, and Flink running every vertex at 2', async () => {
    const name = 'elastic';
    const namespace = runtime.namespaceOf(tenant);
    const core = k8s.kubeConfig.makeApiClient(CoreV1Api);
    const apps = k8s.kubeConfig.makeApiClient(AppsV1Api);
    const podsOf = async (component: string) => (await core.listNamespacedPod({
      namespace, labelSelector: `${CLUSTER}=${clusterName(tenant, name)},${COMPONENT}=${component}`,
    })).items.filter((p) => !p.metadata?.deletionTimestamp);
    const jobManagerPods = async () => (await podsOf('jobmanager')).map((p) => `${p.metadata?.uid} restarts ${p.status?.containerStatuses?.[0]?.restartCount}`);
    await bed.withWorker(async () => {
      await bed.client.startPipeline(sqlPipeline(tenant, name, SMALL));
      const { jobId } = await jobs.running(name);
      assert.ok(jobId);
      const jobManagerBefore = await jobManagerPods();
      assert.equal(jobManagerBefore.length, 1);
      assert.deepEqual((await (await jobs.rest(name)).job(jobId)).vertices.map((v) => v.parallelism), [1, 1]);

      assert.deepEqual(await bed.client.rescalePipeline(tenant, name, 2), { jobId, previousParallelism: 1, parallelism: 2 });
      const flink = await jobs.rest(name);
      const job = await flink.job(jobId);
      assert.equal(job.state, 'RUNNING');
      assert.deepEqual(job.vertices.map((v) => [v.parallelism, v.status]), [[2, 'RUNNING'], [2, 'RUNNING']]);
      const taskManagerPods = (await podsOf('taskmanager')).map((p) => p.metadata?.name).sort();
      assert.deepEqual((await flink.taskManagers()).map((t) => t.id).sort(), taskManagerPods, 'Flink\'s TaskManagers are the Deployment\'s two pods');
      assert.equal(taskManagerPods.length, 2);
      assert.equal((await apps.readNamespacedDeployment({ name: objectNames(clusterName(tenant, name)).taskManager, namespace })).spec?.replicas, 2);
      assert.deepEqual(await jobManagerPods(), jobManagerBefore, 'the same JobManager pod, never restarted');
      const status = await bed.client.getPipeline(tenant, name);
      assert.deepEqual([status.phase, status.jobId, status.parallelism, status.targetParallelism, status.restarts], ['Running', jobId, 2, 2, 0]);
      await bed.client.stopPipeline(tenant, name, { savepoint: false, drain: false, wait: true });
    });
    // One deployment ever: the rescale made no new cluster.
    assert.deepEqual(await phasesOf(temporalTestBed().env.client.workflow.getHandle(pipelineWorkflowId(tenant, name))), [
      'Validating', 'EnsuringTenant', 'Deploying', 'Starting', 'Running', 'Stopping', 'CleaningUp', 'Stopped',
    ]);
  });
});
