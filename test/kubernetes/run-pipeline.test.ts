import assert from 'node:assert/strict';
import { clusterName } from '../../activities/names';
import { AppsV1Api, CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { pipelineWorkflowId } from '../../workflows/pipeline/spec';
import { waitUntil } from '../../activities/runtime/local/wait';
import { fleetTestBed, type FleetTestBed } from '../harness/fleet';
import { kubernetesTestBed, temporalTestBed } from '../harness/global';
import { KubernetesWithLocalFlink } from '../harness/kubernetes-with-local-flink';
import type { KubernetesTestBed } from '../../client/dev/kubernetes-control-plane';
import { FlinkRestClient } from '../../activities/flink/rest-client';
import { DEFAULT_TENANT_PLAN } from '../../activities/runtime/kubernetes/manifests/tenant';
import { objectNames } from '../../activities/runtime/kubernetes/manifests/labels';
import type { PipelineStatus } from '../../workflows/pipeline/api';
import { runCli } from '../harness/cli';
import { phasesOf } from '../harness/history';
import { sqlPipeline } from '../pipeline/fixtures';

const MANAGED = 'app.kubernetes.io/managed-by=flink-fleet';
/** Room for a JobManager and two TaskManagers: a pipeline of one slot per TaskManager may grow to 2, not 3. */
const PLAN = { ...DEFAULT_TENANT_PLAN, pods: 3 };

describe('runPipeline on the kubernetes runtime (real API server + kwok; Flink through the seam)', () => {
  let k8s: KubernetesTestBed;
  let bed: FleetTestBed;
  let runtime: KubernetesWithLocalFlink;
  let tenant: string;
  before(async () => {
    k8s = await kubernetesTestBed();
  });
  beforeEach(() => {
    // A tenant per test: the last one's namespace may still be terminating.
    tenant = `k${Date.now().toString(36)}`;
    bed = fleetTestBed('k8s-pipeline', (stateDir) => {
      runtime = KubernetesWithLocalFlink.onTestBed(k8s, stateDir, PLAN);
      return runtime;
    });
  });
  afterEach(async () => {
    await bed.cleanUp();
    await runtime.cleanUpTenant(tenant);
  });

  it('creates the cluster\'s objects on start and deletes every one of them after a stop with savepoint', async () => {
    const namespace = runtime.kubernetes.namespaceOf(tenant);
    const apps = k8s.kubeConfig.makeApiClient(AppsV1Api);
    const core = k8s.kubeConfig.makeApiClient(CoreV1Api);
    const result = await bed.withWorker(async () => {
      await bed.client.startPipeline(sqlPipeline(tenant, 'orders'));
      await waitUntil('the pipeline to run', async () => ((await bed.client.getPipeline(tenant, 'orders')).phase === 'Running' ? true : undefined), { timeoutMs: 150_000, intervalMs: 500 });
      const deployments = (await apps.listNamespacedDeployment({ namespace, labelSelector: MANAGED })).items;
      assert.deepEqual(deployments.map((d) => d.metadata?.labels?.['flink-fleet/component']).sort(), ['jobmanager', 'taskmanager']);
      assert.ok(deployments.every((d) => d.metadata?.labels?.['flink-fleet/tenant'] === tenant));
      // Running is Flink's job state (here through the seam); the Deployment controller writes readiness on its own schedule.
      let seen = '';
      await waitUntil('both Deployments to be ready', async () => {
        const now = (await apps.listNamespacedDeployment({ namespace, labelSelector: MANAGED })).items;
        const pods = (await core.listNamespacedPod({ namespace, labelSelector: MANAGED })).items;
        seen = [...now.map((d) => `${d.metadata?.name}: ${JSON.stringify(d.status)}`),
          ...pods.map((p) => `${p.metadata?.name} on ${p.spec?.nodeName}: ${p.status?.phase} ${JSON.stringify(p.status?.conditions)}`)].join('\n');
        return now.length === 2 && now.every((d) => d.status?.readyReplicas === 1) ? true : undefined;
      }, { timeoutMs: 60_000, intervalMs: 250 }).catch((error: unknown) => {
        throw new Error(`${String(error)}; last seen:\n${seen}`);
      });
      const services = (await core.listNamespacedService({ namespace, labelSelector: MANAGED })).items;
      assert.equal(services.length, 1);
      const namespaceObject = await core.readNamespace({ name: namespace });
      assert.equal(namespaceObject.metadata?.labels?.['pod-security.kubernetes.io/enforce'], 'restricted');
      return bed.client.stopPipeline(tenant, 'orders', { savepoint: true, drain: false, wait: true });
    });
    assert.equal(result?.finalState, 'Stopped');
    assert.match(result?.savepointPath ?? '', /savepoint-/);
    // The tenant's guard rails stay (they are the tenant's, not the cluster's); the cluster's objects go.
    const ofCluster = { namespace, labelSelector: `flink-fleet/cluster=${clusterName(tenant, 'orders')}` };
    const left = [
      ...(await apps.listNamespacedDeployment(ofCluster)).items, ...(await apps.listNamespacedReplicaSet(ofCluster)).items,
      ...(await core.listNamespacedPod(ofCluster)).items, ...(await core.listNamespacedService(ofCluster)).items,
      ...(await core.listNamespacedConfigMap(ofCluster)).items, ...(await core.listNamespacedServiceAccount(ofCluster)).items,
    ].map((o) => `${o.kind ?? ''}/${o.metadata?.name ?? ''}`);
    assert.deepEqual(left, []);
    assert.deepEqual(await runtime.flink.listClusters(), []);
  });

  it('ends a pipeline whose TaskManager was evicted for its disk with DiskExceeded naming the limit, and deletes its cluster', async () => {
    const namespace = runtime.kubernetes.namespaceOf(tenant);
    const core = k8s.kubeConfig.makeApiClient(CoreV1Api);
    const failure = await bed.withWorker(async () => {
      await bed.client.startPipeline(sqlPipeline(tenant, 'hoarder'));
      await waitUntil('the pipeline to run', async () => ((await bed.client.getPipeline(tenant, 'hoarder')).phase === 'Running' ? true : undefined), { timeoutMs: 150_000, intervalMs: 500 });
      const selector = `flink-fleet/cluster=${clusterName(tenant, 'hoarder')},flink-fleet/component=taskmanager`;
      const [taskManager] = (await core.listNamespacedPod({ namespace, labelSelector: selector })).items;
      // kwok runs no kubelet: the status is the one the kubelet's eviction manager writes (its message format, 1.36).
      await core.patchNamespacedPodStatus({ name: taskManager?.metadata?.name ?? '', namespace,
        body: { status: { phase: 'Failed', reason: 'Evicted', message: 'Container taskmanager exceeded its local ephemeral storage limit "4096Mi". ' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
      return temporalTestBed().env.client.workflow.getHandle(pipelineWorkflowId(tenant, 'hoarder')).result().then(() => assert.fail('the pipeline ended well'), (error: unknown) => error);
    });
    assert.ok(failure instanceof WorkflowFailedError && failure.cause instanceof ApplicationFailure, String(failure));
    assert.equal(failure.cause.type, 'DiskExceeded');
    assert.match(failure.cause.message, /^pipeline k\w+\/hoarder outgrew its local disk: taskmanager pod \S+ was evicted: Container taskmanager exceeded its local ephemeral storage limit "4096Mi"\.$/);
    assert.deepEqual(await runtime.flink.listClusters(), []);
    assert.deepEqual((await core.listNamespacedPod({ namespace, labelSelector: `flink-fleet/cluster=${clusterName(tenant, 'hoarder')}` })).items
      .filter((p) => !p.metadata?.deletionTimestamp).map((p) => p.metadata?.name), []);
  });

  it('rescales a running pipeline in place, its TaskManager Deployment following, and refuses through the CLI a parallelism beyond the tenant\'s plan, changing nothing', async () => {
    const name = 'elastic';
    const namespace = runtime.kubernetes.namespaceOf(tenant);
    const apps = k8s.kubeConfig.makeApiClient(AppsV1Api);
    const cli = (args: string[]) => runCli(['--address', temporalTestBed().server.address, '--task-queue', bed.taskQueue, ...args]);
    const rescale = (parallelism: number) => cli(['--json', 'pipeline', 'rescale', '--tenant', tenant, '--name', name, '--parallelism', String(parallelism)]);
    const replicas = async () => (await apps.readNamespacedDeployment({ name: objectNames(clusterName(tenant, name)).taskManager, namespace })).spec?.replicas;
    const vertexParallelism = async (jobId: string) => {
      const { endpoints } = await runtime.observe({ tenant, name });
      return (await new FlinkRestClient(endpoints?.restUrl as string).job(jobId)).vertices.map((v) => v.parallelism);
    };
    const now = async (): Promise<PipelineStatus> => bed.client.getPipeline(tenant, name);
    await bed.withWorker(async () => {
      await bed.client.startPipeline(sqlPipeline(tenant, name));
      const running = await waitUntil('the pipeline to run', async () => {
        const status = await now();
        return status.phase === 'Running' ? status : undefined;
      }, { timeoutMs: 150_000, intervalMs: 500 });
      const jobId = running.jobId as string;
      assert.deepEqual([running.parallelism, running.maxParallelism], [1, 2]);
      assert.equal(await replicas(), 1);

      const up = await rescale(2);
      assert.equal(up.code, 0, up.stderr);
      assert.deepEqual(JSON.parse(up.stdout), { jobId, previousParallelism: 1, parallelism: 2, ui: `http://127.0.0.1:8233/namespaces/default/workflows/pipeline%2F${tenant}%2F${name}` });
      assert.equal(await replicas(), 2);
      assert.deepEqual(await vertexParallelism(jobId), [2, 2]);

      const beyond = await rescale(3);
      assert.equal(beyond.code, 2, beyond.stderr);
      assert.deepEqual(JSON.parse(beyond.stdout), { error: { type: 'InvalidSpec', message:
        `invalid rescale of pipeline ${tenant}/${name}: parallelism: must be at most 2, the most tenant ${tenant}'s plan holds at this pipeline's TaskManager size` } });
      const after = await now();
      assert.deepEqual([after.phase, after.jobId, after.parallelism, after.targetParallelism, after.restarts], ['Running', jobId, 2, 2, 0]);
      assert.equal(await replicas(), 2, 'the refused rescale changed no Deployment');
      assert.deepEqual(await vertexParallelism(jobId), [2, 2]);
      await bed.client.stopPipeline(tenant, name, { savepoint: false, drain: false, wait: true });
    });
    // One deployment: the rescale made no new cluster, and the refusal nothing at all.
    assert.deepEqual(await phasesOf(temporalTestBed().env.client.workflow.getHandle(pipelineWorkflowId(tenant, name))), [
      'Validating', 'EnsuringTenant', 'Deploying', 'Starting', 'Running', 'Stopping', 'CleaningUp', 'Stopped',
    ]);
  });
});
