import assert from 'node:assert/strict';
import { CoreV1Api, KubeConfig, KubernetesObjectApi, PatchStrategy, type V1Deployment, type V1Pod } from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RequestContext } from '@kubernetes/client-node';
import { clusterName } from '../../activities/names';
import { waitUntil } from '../../activities/runtime/local/wait';
import { slimmed } from '../../activities/runtime/kubernetes/object-cache';
import { observeCluster } from '../../activities/runtime/kubernetes/observe';
import type { ClusterObservation } from '../../activities/runtime/types';
import type { KubernetesTestBed } from '../../client/dev/kubernetes-control-plane';
import { kubernetesTestBed } from '../harness/global';
import { sqlPipeline } from './fixtures';
import { RuntimeUnderTest } from './runtime-helpers';

/** Counts the API requests made with it: every generated client authenticates each call through its KubeConfig. */
class CountingKubeConfig extends KubeConfig {
  requests = 0;

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    this.requests += 1;
    await super.applySecurityAuthentication(context);
  }
}

const WAIT = { timeoutMs: 30_000, intervalMs: 250 };

/** A cache lists in its own order, the API server by name. */
function comparable(observed: ClusterObservation): ClusterObservation {
  return { ...observed, processes: [...observed.processes].sort((a, b) => a.name.localeCompare(b.name)) };
}

describe('slimming a watched object', () => {
  it('keeps all that the observation reads and drops specs, data and managed fields', () => {
    const crashing: V1Pod = {
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: 'jm', namespace: 'ns', labels: { 'flink-fleet/component': 'jobmanager' }, managedFields: [{ manager: 'flink-fleet' }] },
      spec: { containers: [{ name: 'jobmanager', image: 'flink', args: ['x'.repeat(10_000)] }] },
      status: { phase: 'Running', containerStatuses: [{ name: 'jobmanager', image: 'flink', imageID: '', ready: false, restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off' } } }] },
    };
    const deleting: V1Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'jm-old', labels: { 'flink-fleet/component': 'jobmanager' }, deletionTimestamp: new Date(0) }, status: { phase: 'Running' } };
    const evicted: V1Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'tm', labels: { 'flink-fleet/component': 'taskmanager' } },
      status: { phase: 'Failed', reason: 'Evicted', message: 'Pod ephemeral local storage usage exceeds the total limit of containers 512Mi.' } };
    const deployment: V1Deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'c-jobmanager', labels: { 'flink-fleet/component': 'jobmanager' } },
      spec: { selector: {}, template: {} } };
    const root = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', labels: { 'flink-fleet/kind': 'application' } }, data: { 'config.yaml': 'y'.repeat(10_000) } };
    const endpoints = { restUrl: 'http://c:8081' };
    const pods = [crashing, deleting, evicted];
    const full = { root, deployments: [deployment], pods };
    const slim = { root: slimmed(root), deployments: [slimmed(deployment)], pods: pods.map(slimmed) };
    const observed = observeCluster('c', slim, endpoints);
    assert.deepEqual(observed, observeCluster('c', full, endpoints));
    assert.equal(observed.health, 'failed');
    assert.match(observed.reason ?? '', /CrashLoopBackOff/);
    assert.match(observed.diskExceeded ?? '', /tm was evicted/);
    assert.deepEqual(observed.processes.map((p) => [p.name, p.alive]), [['jm', false], ['jm-old', false], ['tm', false]]);
    assert.ok(JSON.stringify(slim).length < 1_500, JSON.stringify(slim));
    assert.equal(slimmed(crashing).metadata?.managedFields, undefined);
  });
});

describe('the kubernetes runtime\'s watched observation against a real API server', () => {
  let k8s: KubernetesTestBed;
  let kubeConfig: CountingKubeConfig;
  let bed: RuntimeUnderTest;
  const watchErrors: unknown[] = [];

  before(async () => {
    k8s = await kubernetesTestBed();
    kubeConfig = new CountingKubeConfig();
    kubeConfig.loadFromFile(k8s.kubeconfigPath);
    bed = new RuntimeUnderTest(k8s, { kubeConfig, onWatchError: (error) => watchErrors.push(error) });
  });

  after(async () => {
    await bed.runtime.close();
    await bed.cleanUp();
  });

  it('answers as observe does without a request per look, follows a pod\'s replacement, and confirms a lost cluster with the API server', async () => {
    const { tenant, namespace } = await bed.tenant();
    const pipeline = sqlPipeline(tenant, 'orders');
    await bed.runtime.deployApplicationCluster(pipeline);
    await waitUntil('the watched observation to agree with observe', async () => {
      const [watched, direct] = [await bed.runtime.observeWatched(pipeline), await bed.runtime.observe(pipeline)];
      return watched.health === 'running' && JSON.stringify(comparable(watched)) === JSON.stringify(comparable(direct)) ? true : undefined;
    }, WAIT);

    const before = kubeConfig.requests;
    for (let look = 0; look < 50; look += 1) assert.equal((await bed.runtime.observeWatched(pipeline)).health, 'running');
    assert.equal(kubeConfig.requests - before, 0, 'requests made by 50 watched looks');
    const beforeListing = kubeConfig.requests;
    const listed = (await bed.runtime.listClusters()).find((summary) => summary.tenant === tenant);
    assert.equal(kubeConfig.requests - beforeListing, 0, 'requests made by listing the clusters while watching (the janitor\'s pass)');
    assert.ok(listed, 'the cluster in the watched listing');
    assert.deepEqual({ name: listed.name, cluster: listed.cluster, kind: listed.kind }, { name: 'orders', cluster: clusterName(tenant, 'orders'), kind: 'application' });
    assert.ok(Date.now() - Date.parse(listed.createdAt) < 10 * 60_000, `a creation time from the root: ${listed.createdAt}`);

    const core = k8s.kubeConfig.makeApiClient(CoreV1Api);
    const [jobManager] = (await core.listNamespacedPod({ namespace, labelSelector: `flink-fleet/cluster=${clusterName(tenant, 'orders')},flink-fleet/component=jobmanager` })).items;
    const old = jobManager?.metadata?.name ?? '';
    await core.deleteNamespacedPod({ name: old, namespace, gracePeriodSeconds: 0 });
    await waitUntil('the watched observation to show the replacement JobManager', async () => {
      const { processes } = await bed.runtime.observeWatched(pipeline);
      return processes.some((p) => p.role === 'jobmanager' && p.name !== old && p.alive) && !processes.some((p) => p.name === old) ? true : undefined;
    }, WAIT);

    await bed.runtime.deleteCluster(pipeline);
    const lookAfterDelete = kubeConfig.requests;
    assert.equal((await bed.runtime.observeWatched(pipeline)).health, 'missing');
    assert.ok(kubeConfig.requests > lookAfterDelete, 'a missing cluster is confirmed with the API server, not taken from the cache');
    await waitUntil('the watched listing to drop the deleted cluster', async () => ((await bed.runtime.listClusters()).some((summary) => summary.tenant === tenant) ? undefined : true), WAIT);
  });

  it('waits on its watches, not on lists, while a deleted cluster\'s pod terminates', async () => {
    const { tenant, namespace } = await bed.tenant();
    const pipeline = sqlPipeline(tenant, 'held');
    await bed.runtime.deployApplicationCluster(pipeline);
    await waitUntil('the watched observation to see the cluster running', async () => ((await bed.runtime.observeWatched(pipeline)).health === 'running' ? true : undefined), WAIT);
    // A finalizer of the test's holds the JobManager's pod, terminating, as a slow pod would be.
    const core = k8s.kubeConfig.makeApiClient(CoreV1Api);
    const selector = `flink-fleet/cluster=${clusterName(tenant, 'held')},flink-fleet/component=jobmanager`;
    const [held] = (await core.listNamespacedPod({ namespace, labelSelector: selector })).items;
    assert.ok(held?.metadata?.name, 'a JobManager pod to hold');
    const hold = { apiVersion: 'v1', kind: 'Pod', metadata: { name: held.metadata.name, namespace, finalizers: ['flink-fleet.test/hold'] } };
    const objects = KubernetesObjectApi.makeApiClient(k8s.kubeConfig);
    await objects.patch(hold, undefined, undefined, 'flink-fleet-test', undefined, PatchStrategy.MergePatch);

    const deleted = bed.runtime.deleteCluster(pipeline);
    await waitUntil('the held pod to be terminating', async () => ((await core.readNamespacedPod({ name: held.metadata?.name ?? '', namespace })).metadata?.deletionTimestamp ? true : undefined), WAIT);
    const whileHeld = kubeConfig.requests;
    await sleep(5_000); // listing every 2 s at most, the delete would have looked twice by now
    const requestsWhileHeld = kubeConfig.requests - whileHeld;
    await objects.patch({ ...hold, metadata: { ...hold.metadata, finalizers: null } } as never, undefined, undefined, 'flink-fleet-test', undefined, PatchStrategy.MergePatch);
    await deleted;
    assert.equal(requestsWhileHeld, 0, 'API requests while the watches showed the pod terminating');
    assert.equal((await bed.runtime.observe(pipeline)).health, 'missing');
  });

  it('stops its watches on close without reporting them as broken', async () => {
    await bed.runtime.close();
    assert.deepEqual(watchErrors, [], 'a close aborts the watches\' requests: a worker\'s shutdown is not a broken watch');
  });
});
