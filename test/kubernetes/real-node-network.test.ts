import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { FlinkRestClient } from '../../activities/flink/rest-client';
import { clusterName } from '../../activities/names';
import type { KubernetesRuntime } from '../../activities/runtime/kubernetes/kubernetes-runtime';
import { PORTS } from '../../activities/runtime/kubernetes/manifests/container';
import { CLUSTER, COMPONENT } from '../../activities/runtime/kubernetes/manifests/labels';
import { waitUntil } from '../../activities/runtime/local/wait';
import type { PipelineStatus } from '../../workflows/pipeline/api';
import { nodeBinary } from '../../scripts/install/kubernetes-node';
import { toolchain } from '../../scripts/toolchain';
import { fleetTestBed, type FleetTestBed } from '../harness/fleet';
import { realNodeEgress, realNodeRuntime, startRealNodeFlink, type RealNodeFlink } from '../harness/real-node-flink';
import { sqlPipeline } from '../pipeline/fixtures';

/** Two clusters on two cores: 1.6 cores in all leaves the kubelet's scheduler room. */
const SMALL = { jobManager: { cpu: 0.4, memoryMb: 1024 }, taskManager: { cpu: 0.4, memoryMb: 1024 } };
/** A refused or unanswered connect (bash's exit 1, timeout's 124), as kubectl reports the command's exit. */
const NOT_CONNECTED = /command terminated with exit code (1|124)\b/;

/**
 * The wall between tenants, tried for real through the node's NetworkPolicy enforcer (kube-router):
 * from a TaskManager of tenant A, tenant B's JobManager cannot be reached by pod address or Service
 * name, nor anything on the node outside A's egress, while A's own JobManager, DNS, the API server
 * (Flink's HA) and S3 (its checkpoints) stay reachable.
 */
describe('the network wall between tenants on the real node', function () {
  this.timeout(1_200_000);
  let node: RealNodeFlink;
  let bed: FleetTestBed;
  let runtime: KubernetesRuntime;
  const run = Date.now().toString(36);
  const [tenantA, tenantB] = [`wa${run}`, `wb${run}`];

  before(async () => {
    node = await startRealNodeFlink();
    bed = fleetTestBed('real-node-network', () => {
      runtime = realNodeRuntime(node, { tenantAccounts: 'versity', tenantEgress: realNodeEgress(node) });
      return runtime;
    });
  });

  after(async () => {
    await bed?.cleanUp();
    await node?.s3.stop();
  });

  async function running(tenant: string): Promise<PipelineStatus> {
    return waitUntil(`${tenant}'s pipeline to run`, async () => {
      const status = await bed.client.getPipeline(tenant, 'orders');
      if (status.phase === 'Failed' || status.phase === 'Stopped') throw new Error(`${tenant}'s pipeline ended: ${status.failure ?? status.phase}`);
      return status.phase === 'Running' ? status : undefined;
    }, { timeoutMs: 600_000, intervalMs: 1_000 });
  }

  async function pod(tenant: string, component: 'jobmanager' | 'taskmanager'): Promise<{ name: string; ip: string }> {
    const core = node.k8s.kubeConfig.makeApiClient(CoreV1Api);
    const pods = (await core.listNamespacedPod({ namespace: runtime.namespaceOf(tenant),
      labelSelector: `${CLUSTER}=${clusterName(tenant, 'orders')},${COMPONENT}=${component}` })).items
      .filter((p: V1Pod) => !p.metadata?.deletionTimestamp && p.status?.phase === 'Running');
    assert.equal(pods.length, 1, `${tenant} has ${pods.length} running ${component} pods`);
    return { name: pods[0]?.metadata?.name ?? '', ip: pods[0]?.status?.podIP ?? '' };
  }

  /** Runs `command` in tenant A's TaskManager: true when it exits 0, false when it exits 1 or 124, and kubectl's own failures thrown. */
  async function inTaskManagerOfA(command: string[]): Promise<boolean> {
    const taskManager = await pod(tenantA, 'taskmanager');
    const args = ['--kubeconfig', node.k8s.kubeconfigPath, 'exec', '-n', runtime.namespaceOf(tenantA), taskManager.name, '-c', 'taskmanager', '--', ...command];
    return promisify(execFile)(nodeBinary(toolchain(), 'kubectl'), args, { timeout: 60_000 }).then(() => true, (error: unknown) => {
      if (error instanceof Error && 'stderr' in error && NOT_CONNECTED.test(String(error.stderr))) return false;
      throw error;
    });
  }

  /** The image has no nc: bash's /dev/tcp opens the connection, and a refusal and a drop both fail it within 5 s. */
  const connects = (host: string, port: number): Promise<boolean> => inTaskManagerOfA(['timeout', '5', 'bash', '-c', `: </dev/tcp/${host}/${port}`]);
  const resolves = (name: string): Promise<boolean> => inTaskManagerOfA(['timeout', '5', 'getent', 'hosts', name]);

  function completedCheckpoints(tenant: string, jobId: string): number[] {
    const dir = node.s3.objectPath(`${runtime.storageUri({ tenant, name: 'orders' })}/checkpoints/${jobId}`);
    return existsSync(dir) ? readdirSync(dir).filter((d) => d.startsWith('chk-') && existsSync(join(dir, d, '_metadata'))).map((d) => Number(d.slice(4))) : [];
  }

  it('refuses tenant A\'s TaskManager a connection to tenant B\'s JobManager, while A\'s own cluster, DNS, the API server and S3 stay reachable', async () => {
    const core = node.k8s.kubeConfig.makeApiClient(CoreV1Api);
    const service = (tenant: string): string => `${clusterName(tenant, 'orders')}.${runtime.namespaceOf(tenant)}.svc.cluster.local`;
    const result = await bed.withWorker(async () => {
      await Promise.all([tenantA, tenantB].map((tenant) => bed.client.startPipeline(sqlPipeline(tenant, 'orders', SMALL))));
      const [runningA] = await Promise.all([running(tenantA), running(tenantB)]);
      const jobId = runningA.jobId ?? '';
      const [jobManagerA, jobManagerB] = [await pod(tenantA, 'jobmanager'), await pod(tenantB, 'jobmanager')];
      const kubeletPort = (await core.readNode({ name: node.k8s.node.name })).status?.daemonEndpoints?.kubeletEndpoint?.Port ?? 0;
      assert.ok(kubeletPort > 0, 'the node reports no kubelet port');
      // kube-router programs a pod's chains moments after the pod appears; B's JobManager is the wall's last brick.
      await waitUntil('tenant B\'s JobManager out of tenant A\'s reach', async () => ((await connects(jobManagerB.ip, PORTS.rest)) ? undefined : true),
        { timeoutMs: 120_000, intervalMs: 2_000 });

      const reach = {
        'own JobManager REST by Service': await connects(service(tenantA), PORTS.rest),
        'own JobManager RPC by Service': await connects(service(tenantA), PORTS.rpc),
        'own JobManager blob server by pod address': await connects(jobManagerA.ip, PORTS.blob),
        'B\'s Service name resolves (DNS)': await resolves(service(tenantB)),
        'B\'s JobManager REST by pod address': await connects(jobManagerB.ip, PORTS.rest),
        'B\'s JobManager RPC by pod address': await connects(jobManagerB.ip, PORTS.rpc),
        'B\'s JobManager REST by Service': await connects(service(tenantB), PORTS.rest),
        'B\'s JobManager RPC by Service': await connects(service(tenantB), PORTS.rpc),
        'the kubelet on the node (outside A\'s egress)': await connects(node.k8s.node.address, kubeletPort),
      };

      // Flink's own traffic under the wall: a checkpoint to S3 completes after it was seen holding, and HA (the API server) kept the job.
      const seen = Math.max(0, ...completedCheckpoints(tenantA, jobId));
      await waitUntil('a checkpoint on S3 after the wall was seen', async () => (completedCheckpoints(tenantA, jobId).some((id) => id > seen) ? true : undefined),
        { timeoutMs: 180_000, intervalMs: 1_000 });
      const observed = await runtime.observe({ tenant: tenantA, name: 'orders' });
      assert.ok(observed.endpoints, 'A\'s pipeline has no endpoints');
      const rest = new FlinkRestClient(observed.endpoints.restUrl, { transport: runtime.flinkTransport, timeoutMs: 10_000 });
      const job = await rest.job(jobId);
      const statuses = await Promise.all([tenantA, tenantB].map((tenant) => bed.client.getPipeline(tenant, 'orders')));
      const stopped = await Promise.all([tenantA, tenantB].map((tenant) => bed.client.stopPipeline(tenant, 'orders', { savepoint: false, drain: false, wait: true })));
      return { reach, jobState: job.state, phases: statuses.map((s) => [s.phase, s.restarts]), stopped: stopped.map((s) => s?.finalState) };
    });

    assert.deepEqual(result.reach, {
      'own JobManager REST by Service': true,
      'own JobManager RPC by Service': true,
      'own JobManager blob server by pod address': true,
      'B\'s Service name resolves (DNS)': true,
      'B\'s JobManager REST by pod address': false,
      'B\'s JobManager RPC by pod address': false,
      'B\'s JobManager REST by Service': false,
      'B\'s JobManager RPC by Service': false,
      'the kubelet on the node (outside A\'s egress)': false,
    });
    assert.equal(result.jobState, 'RUNNING');
    assert.deepEqual(result.phases, [['Running', 0], ['Running', 0]]);
    assert.deepEqual(result.stopped, ['Stopped', 'Stopped']);
    await node.k8s.assertNoManagedObjectsLeft([tenantA, tenantB].map((tenant) => runtime.namespaceOf(tenant)), { selector: CLUSTER, graceMs: 120_000 });
  });
});
