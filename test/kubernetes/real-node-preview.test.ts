import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { AppsV1Api, CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { FlinkRestClient } from '../../activities/flink/rest-client';
import { SqlGatewayClient } from '../../activities/flink/sql-gateway-client';
import { clusterName } from '../../activities/names';
import type { KubernetesRuntime } from '../../activities/runtime/kubernetes/kubernetes-runtime';
import { CLUSTER } from '../../activities/runtime/kubernetes/manifests/labels';
import { waitUntil } from '../../activities/runtime/local/wait';
import type { KubernetesWithRealNode } from '../../client/dev/kubernetes-node';
import type { S3Gateway } from '../../client/dev/s3-gateway';
import { FLEET_TENANT, sessionClusterRef } from '../../workflows/pool/api';
import { fleetTestBed, type FleetTestBed } from '../harness/fleet';
import { realNodeRuntime, startRealNodeFlink } from '../harness/real-node-flink';
import { poolFixture } from '../preview/pool-fixture';

const NUMBERS = "CREATE TEMPORARY TABLE numbers (n BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '20', 'fields.n.kind' = 'sequence', 'fields.n.start' = '1', 'fields.n.end' = '1000000')";

/** Two cores in all: the JobManager, the gateway and one pool TaskManager at half a core each. */
const HALF = { cpu: 0.5, memoryMb: 1024 };

/**
 * The preview path with no seam: the pool's session cluster (JobManager and SQL Gateway) and its
 * TaskManagers are pods of the fleet's image on the real node, and the worker reaches the REST API
 * and the gateway through the API server's service proxy, as a worker outside the cluster does.
 */
describe('preview and the idle pool on the real node: session cluster and TaskManagers in pods', function () {
  this.timeout(900_000);
  let k8s: KubernetesWithRealNode;
  let s3: S3Gateway;
  let bed: FleetTestBed;
  let runtime: KubernetesRuntime;
  const pool = `rnpool-${randomUUID().slice(0, 6)}`;

  before(async () => {
    ({ k8s, s3 } = await startRealNodeFlink());
    bed = fleetTestBed('real-node-pool', () => {
      runtime = realNodeRuntime({ k8s, s3 });
      return runtime;
    });
  });

  after(async () => {
    await bed?.withWorker(() => bed.client.stopPool(pool)).catch(() => undefined);
    await bed?.cleanUp();
    await s3?.stop();
  });

  it('runs a preview through Temporal on a pool TaskManager pod, replaces that pod, and leaves nothing once the pool stops', async () => {
    const namespace = runtime.namespaceOf(FLEET_TENANT);
    const cluster = clusterName(FLEET_TENANT, pool);
    const core = k8s.kubeConfig.makeApiClient(CoreV1Api);
    const apps = k8s.kubeConfig.makeApiClient(AppsV1Api);
    const ofCluster = { namespace, labelSelector: `${CLUSTER}=${cluster}` };
    const livePods = async (): Promise<V1Pod[]> => (await core.listNamespacedPod(ofCluster)).items.filter((p) => !p.metadata?.deletionTimestamp);
    const fixture = poolFixture(bed, pool);

    await bed.withWorker(async () => {
      await bed.client.startPool({ sessionCluster: pool, target: 1, maxTarget: 1, maxTaskManagers: 2, jobManager: HALF, taskManager: HALF, reconcileSeconds: 3 });
      await fixture.settled(1, 600_000);
      const [idle] = (await bed.client.poolStats(pool)).readyTaskManagers;
      assert.ok(idle, 'the pool reports no ready TaskManager');

      // Every pod of the session cluster runs on the real node: JobManager, gateway and the pool's TaskManager.
      const pods = await livePods();
      assert.deepEqual(pods.map((p) => p.metadata?.labels?.['flink-fleet/component']).sort(), ['gateway', 'jobmanager', 'taskmanager']);
      assert.deepEqual(pods.map((p) => p.spec?.nodeName), pods.map(() => k8s.node.name));
      assert.ok(pods.some((p) => p.metadata?.name === idle), `the idle TaskManager ${idle} is not a pod`);
      // Flink's own word through the API server's proxy: the JobManager lists that pod as its TaskManager.
      const observed = await runtime.observe(sessionClusterRef(pool));
      assert.ok(observed.endpoints?.gatewayUrl, 'the session cluster has no gateway endpoint');
      const rest = new FlinkRestClient(observed.endpoints.restUrl, { transport: runtime.flinkTransport, timeoutMs: 10_000 });
      assert.deepEqual((await rest.taskManagers()).map((t) => t.id), [idle]);
      const gateway = new SqlGatewayClient(observed.endpoints.gatewayUrl, { transport: runtime.flinkTransport, timeoutMs: 10_000 });
      await gateway.closeSession(await gateway.openSession());

      const stream = await bed.client.preview('acme', `${NUMBERS};\nSELECT n FROM numbers`, { pool, maxRows: 10 });
      const result = await stream.result();
      assert.equal(result.stoppedBecause, 'row-limit', result.error);
      assert.deepEqual(result.rows.map((r) => r.fields[0]), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      assert.deepEqual(result.taskManagerIds, [idle]);

      // Its pod is gone for good (a bare pod, never restarted), and the pool refills with a new one.
      await assert.rejects(core.readNamespacedPod({ name: idle, namespace }), (error: { code?: number }) => error.code === 404);
      await fixture.settled(1, 600_000);
      const [replacement] = (await bed.client.poolStats(pool)).readyTaskManagers;
      assert.ok(replacement && replacement !== idle, `the pool was refilled with ${replacement ?? 'nothing'}`);
      await waitUntil(`the JobManager to list only ${replacement}`, async () => {
        const ids = (await rest.taskManagers()).map((t) => t.id);
        return ids.length === 1 && ids[0] === replacement ? true : undefined;
      }, { timeoutMs: 120_000, intervalMs: 1_000 });
      assert.ok((await livePods()).some((p) => p.metadata?.name === replacement), `the replacement ${replacement} is not a pod`);

      await bed.client.stopPool(pool);
    });

    // Nothing of the pool is left: pods, Deployments, ReplicaSets, Services, ConfigMaps, Secrets (HA's included).
    await k8s.assertNoManagedObjectsLeft([namespace], { selector: `${CLUSTER}=${cluster}`, graceMs: 120_000 });
    const left = [
      ...(await apps.listNamespacedDeployment(ofCluster)).items, ...(await apps.listNamespacedReplicaSet(ofCluster)).items,
      ...(await core.listNamespacedPod(ofCluster)).items, ...(await core.listNamespacedService(ofCluster)).items,
      ...(await core.listNamespacedConfigMap(ofCluster)).items, ...(await core.listNamespacedSecret(ofCluster)).items,
    ].map((o) => `${o.kind ?? ''}/${o.metadata?.name ?? ''}`);
    assert.deepEqual(left, []);
    assert.deepEqual((await runtime.listClusters()).filter((c) => c.cluster === cluster), []);
  });
});
