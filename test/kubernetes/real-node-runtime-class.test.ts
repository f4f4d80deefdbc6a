import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { CoreV1Api, NodeV1Api } from '@kubernetes/client-node';
import { clusterName } from '../../activities/names';
import type { KubernetesRuntime } from '../../activities/runtime/kubernetes/kubernetes-runtime';
import { CLUSTER } from '../../activities/runtime/kubernetes/manifests/labels';
import { DEFAULT_TENANT_PLAN } from '../../activities/runtime/kubernetes/manifests/tenant';
import { waitUntil } from '../../activities/runtime/local/wait';
import { SANDBOX_RUNTIME_HANDLER, type KubernetesWithRealNode } from '../../client/dev/kubernetes-node';
import { nodePaths } from '../../client/dev/node/configs';
import type { S3Gateway } from '../../client/dev/s3-gateway';
import { toolchain } from '../../scripts/toolchain';
import { fleetTestBed, type FleetTestBed } from '../harness/fleet';
import { putTenantJar, realNodeRuntime, startRealNodeFlink } from '../harness/real-node-flink';

const SMALL = { jobManager: { cpu: 0.5, memoryMb: 1024 }, taskManager: { cpu: 0.5, memoryMb: 1024 } };

/** The ids of the containers runc keeps under `root` for containerd's kubelet namespace. */
function runcContainers(root: string): string[] {
  const listed = execFileSync('runc', ['--root', `${root}/k8s.io`, 'list', '--format', 'json'], { encoding: 'utf8' });
  return ((JSON.parse(listed) as { id: string }[] | null) ?? []).map((container) => container.id);
}

/**
 * A tenant plan's RuntimeClass, end to end on a node that runs containers: a jar connection (its jar
 * named by digest, fetched by the JobManager from the tenant's artifact area on S3) runs in pods that
 * name the class, and containerd runs every one of their containers with the class's handler
 * (runc-sandbox: runc with a state folder of its own, so where runc keeps a container says which
 * handler started it).
 */
describe('a jar connection under the tenant plan\'s RuntimeClass, on the real node', function () {
  this.timeout(900_000);
  let k8s: KubernetesWithRealNode;
  let s3: S3Gateway;
  let bed: FleetTestBed;
  let runtime: KubernetesRuntime;
  const tenant = `rc${Date.now().toString(36)}`;

  before(async () => {
    ({ k8s, s3 } = await startRealNodeFlink());
    bed = fleetTestBed('real-node-runtime-class', () => {
      runtime = realNodeRuntime({ k8s, s3 }, { tenantPlan: { ...DEFAULT_TENANT_PLAN, runtimeClassName: SANDBOX_RUNTIME_HANDLER } });
      return runtime;
    });
  });

  after(async () => {
    await bed?.cleanUp();
    if (runtime) await k8s.assertNoManagedObjectsLeft([runtime.namespaceOf(tenant)], { selector: CLUSTER, graceMs: 120_000 });
    await s3?.stop();
  });

  it('runs every container of the connection\'s pods with the RuntimeClass\'s containerd handler, and leaves no object', async () => {
    const handler = (await k8s.kubeConfig.makeApiClient(NodeV1Api).readRuntimeClass({ name: SANDBOX_RUNTIME_HANDLER })).handler;
    assert.equal(handler, SANDBOX_RUNTIME_HANDLER);
    const digest = await putTenantJar({ s3 }, tenant, toolchain().flinkExamplesJar);
    const core = k8s.kubeConfig.makeApiClient(CoreV1Api);
    const paths = nodePaths(k8s.node.dir);
    const result = await bed.withWorker(async () => {
      await bed.client.startPipeline({ tenant, name: 'orders', ...SMALL,
        job: { kind: 'jar', jar: digest, entryClass: 'org.apache.flink.streaming.examples.windowing.TopSpeedWindowing' } });
      let ended: string | undefined;
      await waitUntil('the connection to run', async () => {
        const now = await bed.client.getPipeline(tenant, 'orders');
        if (now.phase === 'Failed' || now.phase === 'Stopped') ended = `it ended ${now.phase}: ${now.failure ?? ''}`;
        return now.phase === 'Running' ? now : undefined;
      }, { timeoutMs: 600_000, intervalMs: 1_000, hopeless: () => ended });
      const pods = (await core.listNamespacedPod({ namespace: runtime.namespaceOf(tenant), labelSelector: `${CLUSTER}=${clusterName(tenant, 'orders')}` })).items;
      assert.equal(pods.length, 2, 'a JobManager and a TaskManager');
      assert.deepEqual(pods.map((pod) => pod.spec?.runtimeClassName), [SANDBOX_RUNTIME_HANDLER, SANDBOX_RUNTIME_HANDLER]);
      const containerIds = pods.flatMap((pod) => (pod.status?.containerStatuses ?? []).map((c) => (c.containerID ?? '').replace(/^containerd:\/\//, '')));
      assert.equal(containerIds.length, 2);
      const sandboxed = runcContainers(paths.sandboxRuncRoot);
      const plain = runcContainers(paths.runcRoot);
      for (const id of containerIds) {
        assert.ok(sandboxed.includes(id), `container ${id} is not one runc-sandbox runs`);
        assert.ok(!plain.includes(id), `container ${id} runs under the default handler`);
      }
      return bed.client.stopPipeline(tenant, 'orders', { savepoint: false, drain: false, wait: true });
    });
    assert.equal(result?.finalState, 'Stopped');
  });
});
