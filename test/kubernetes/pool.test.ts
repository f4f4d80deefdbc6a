import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { clusterName } from '../../activities/names';
import { waitUntil } from '../../activities/runtime/local/wait';
import { FLEET_TENANT } from '../../workflows/pool/api';
import { fleetTestBed, type FleetTestBed } from '../harness/fleet';
import { kubernetesTestBed } from '../harness/global';
import { KubernetesWithLocalFlink } from '../harness/kubernetes-with-local-flink';
import type { KubernetesTestBed } from '../../client/dev/kubernetes-control-plane';
import { poolFixture } from '../preview/pool-fixture';

const FIVE = "CREATE TEMPORARY TABLE five (n BIGINT) WITH ('connector' = 'datagen', 'number-of-rows' = '5', 'fields.n.kind' = 'sequence', 'fields.n.start' = '1', 'fields.n.end' = '5')";

describe('maintainIdlePool on the kubernetes runtime (real API server + kwok; Flink through the seam)', () => {
  let k8s: KubernetesTestBed;
  let bed: FleetTestBed;
  let runtime: KubernetesWithLocalFlink;
  let pool: string;
  before(async () => {
    k8s = await kubernetesTestBed();
  });
  beforeEach(() => {
    pool = `kpool-${randomUUID().slice(0, 6)}`;
    bed = fleetTestBed('k8s-pool', (stateDir) => {
      runtime = KubernetesWithLocalFlink.onTestBed(k8s, stateDir);
      return runtime;
    });
  });
  afterEach(async () => {
    await bed.withWorker(() => bed.client.stopPool(pool)).catch(() => undefined);
    await bed.cleanUp();
    await runtime.cleanUpTenant(FLEET_TENANT);
  });

  it('keeps its session cluster and idle TaskManagers as Kubernetes objects, follows resizes and previews, and deletes them all on stop', async function () {
    // A session cluster, resizes and a preview of real JVMs: mocha's 180 s default ended it under load (load average 40).
    this.timeout(600_000);
    const namespace = runtime.kubernetes.namespaceOf(FLEET_TENANT);
    const cluster = clusterName(FLEET_TENANT, pool);
    const apps = k8s.kubeConfig.makeApiClient(AppsV1Api);
    const core = k8s.kubeConfig.makeApiClient(CoreV1Api);
    const ofCluster = { namespace, labelSelector: `flink-fleet/cluster=${cluster}` };
    const poolPods = async (): Promise<string[]> => (await core.listNamespacedPod({ namespace, labelSelector: `flink-fleet/cluster=${cluster},flink-fleet/pool=idle` }))
      .items.filter((p) => p.metadata?.deletionTimestamp === undefined).map((p) => p.metadata?.name ?? '').sort();
    /** Until the pool is settled at `target` and its pods are exactly the TaskManagers it reports. */
    const podsMatchPool = async (target: number): Promise<string[]> => {
      await poolFixture(bed, pool).settled(target, 120_000);
      let ids: string[] = [];
      await waitUntil(`the pool pods to be the pool's ${target} TaskManagers`, async () => {
        ids = [...(await bed.client.poolStats(pool)).readyTaskManagers].sort();
        return ids.length === target && JSON.stringify(await poolPods()) === JSON.stringify(ids) ? true : undefined;
      }, { timeoutMs: 60_000, intervalMs: 250 });
      return ids;
    };

    await bed.withWorker(async () => {
      await bed.client.startPool({ sessionCluster: pool, target: 1, maxTarget: 2, reconcileSeconds: 2 });
      const [first] = await podsMatchPool(1);
      assert.ok(first);

      // The session cluster: JobManager and SQL Gateway Deployments, in the fleet's namespace, nothing else deployed.
      const deployments = (await apps.listNamespacedDeployment(ofCluster)).items;
      assert.deepEqual(deployments.map((d) => d.metadata?.labels?.['flink-fleet/component']).sort(), ['gateway', 'jobmanager']);
      assert.ok(deployments.every((d) => d.metadata?.labels?.['flink-fleet/tenant'] === FLEET_TENANT), 'labelled with the fleet tenant');
      // The pool's TaskManagers are bare pods: owned by the root ConfigMap, not by a ReplicaSet, never restarted.
      const pod = await core.readNamespacedPod({ name: first, namespace });
      assert.equal(pod.metadata?.labels?.['flink-fleet/component'], 'taskmanager');
      assert.deepEqual(pod.metadata?.ownerReferences?.map((o) => o.kind), ['ConfigMap']);
      assert.equal(pod.spec?.restartPolicy, 'Never');

      // Resize up: one more pod, named by the new TaskManager's id; resize down: the surplus pod goes.
      await bed.client.resizePool(2, pool);
      const two = await podsMatchPool(2);
      assert.ok(two.includes(first), 'the first TaskManager stays');
      await bed.client.resizePool(1, pool);
      const [kept] = await podsMatchPool(1);
      assert.ok(kept !== undefined && two.includes(kept), 'resizing down kills, it does not start');

      // A preview: the pod of the TaskManager it ran on is deleted, and a new one replaces it.
      const result = await (await bed.client.preview('acme', `${FIVE}; SELECT n FROM five`, { pool })).result();
      assert.equal(result.stoppedBecause, 'end-of-data', result.error);
      assert.deepEqual(result.rows.map((r) => r.fields[0]), [1, 2, 3, 4, 5]);
      assert.deepEqual(result.taskManagerIds, [kept]);
      const [replacement] = await podsMatchPool(1);
      assert.notEqual(replacement, kept);
      await assert.rejects(core.readNamespacedPod({ name: kept, namespace }), (error: { code?: number }) => error.code === 404);

      await bed.client.stopPool(pool);
    });

    const left = [
      ...(await apps.listNamespacedDeployment(ofCluster)).items, ...(await apps.listNamespacedReplicaSet(ofCluster)).items,
      ...(await core.listNamespacedPod(ofCluster)).items, ...(await core.listNamespacedService(ofCluster)).items,
      ...(await core.listNamespacedConfigMap(ofCluster)).items,
    ].map((o) => `${o.kind ?? ''}/${o.metadata?.name ?? ''}`);
    assert.deepEqual(left, []);
    assert.deepEqual((await runtime.kubernetes.listClusters()).filter((c) => c.cluster === cluster), []);
    assert.deepEqual(await runtime.flink.listClusters(), []);
  });
});
