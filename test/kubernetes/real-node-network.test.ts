import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { FlinkRestClient } from '../../activities/flink/rest-client';
import { clusterName } from '../../activities/names';
import { tenantStoragePrefixOf } from '../../activities/pipeline/tenant-storage';
import type { KubernetesRuntime } from '../../activities/runtime/kubernetes/kubernetes-runtime';
import { PORTS } from '../../activities/runtime/kubernetes/manifests/container';
import { CLUSTER, COMPONENT } from '../../activities/runtime/kubernetes/manifests/labels';
import { STORAGE_SECRET } from '../../activities/runtime/kubernetes/manifests/storage';
import { waitUntil } from '../../activities/runtime/local/wait';
import { tenantAccessKeyId, tenantCredentials } from '../../activities/storage/tenant-access-policy';
import type { PipelineStatus } from '../../workflows/pipeline/api';
import { nodeBinary } from '../../scripts/install/kubernetes-node';
import { toolchain } from '../../scripts/toolchain';
import { fleetTestBed, type FleetTestBed } from '../harness/fleet';
import { realNodeEgress, realNodeRuntime, startRealNodeFlink, type RealNodeFlink } from '../harness/real-node-flink';
import { probeStorageInPod, storageProbeJar, type StorageAttempt } from '../harness/storage-probe';
import { sqlPipeline } from '../pipeline/fixtures';

/** Two clusters on two cores: 1.6 cores in all leaves the kubelet's scheduler room. */
const portOf = (server: Server): number => (server.address() as AddressInfo).port;
const listenOn = (address: string): Promise<Server> => new Promise((resolve, reject) => {
  const server = createServer((socket) => socket.end()).once('error', reject);
  server.listen(0, address, () => resolve(server));
});
const SMALL = { jobManager: { cpu: 0.4, memoryMb: 1024 }, taskManager: { cpu: 0.4, memoryMb: 1024 } };
/** A refused or unanswered connect (bash's exit 1, timeout's 124), as kubectl reports the command's exit. */
const NOT_CONNECTED = /command terminated with exit code (1|124)\b/;

/** An S3 refusal as the probe reports it: the exception Hadoop's S3A throws and the gateway's HTTP status. */
const REFUSED = 'java.nio.file.AccessDeniedException (HTTP 403)';

interface NetworkWall {
  readonly reach: Record<string, boolean>;
  readonly jobState: string;
  readonly phases: [string, number][];
  readonly stopped: (string | undefined)[];
}

interface StorageWall {
  /** What each attempt from A's TaskManager came to: `ok` with what it got, or the refusal. */
  readonly attempts: Record<string, string>;
  /** B's files the attempts aimed at, as the gateway's disk holds them after the attempts. */
  readonly bAfter: { readonly executionPlanUnchanged: boolean; readonly planted: string[] };
  /** A's own objects the probe wrote and then deleted, if any is left. */
  readonly aLeft: string[];
  /** The size of A's execution plan on the gateway's disk, which the probe's read of it must match. */
  readonly aPlanBytes: number;
}

interface Credentials {
  /** The storage variables of A's TaskManager, from inside it. */
  readonly inTaskManager: { readonly accessKeyId: string | undefined; readonly secretIsAsOwn: boolean; readonly holdsRootKey: boolean };
  /** Every Secret, ConfigMap and pod of the cluster that holds the key named. */
  readonly holdersOfRootSecret: string[];
  readonly holdersOfRootAccessKey: string[];
  readonly holdersOfAsSecret: string[];
}

/**
 * The walls between tenants, climbed for real from a TaskManager of tenant A while both tenants'
 * pipelines run: the network (through the node's NetworkPolicy enforcer, kube-router) and object
 * storage (with the credentials A's pods get and Flink's own S3 file system). Both pipelines are
 * started once; the climb is observed before the tests, which each judge one wall.
 */
describe('the walls between tenants on the real node', function () {
  this.timeout(1_200_000);
  let node: RealNodeFlink;
  let bed: FleetTestBed;
  let runtime: KubernetesRuntime;
  let walls: { network: NetworkWall; storage: StorageWall; credentials: Credentials };
  const run = Date.now().toString(36);
  const [tenantA, tenantB] = [`wa${run}`, `wb${run}`];
  /** TCP servers on the node's address, outside the cluster's pods: one A's pipeline declares, one it does not. */
  let declared: Server;
  let undeclared: Server;

  before(async () => {
    node = await startRealNodeFlink();
    declared = await listenOn(node.k8s.node.address);
    undeclared = await listenOn(node.k8s.node.address);
    // Compiled now, while no worker shares this process's event loop with javac's wait.
    storageProbeJar();
    bed = fleetTestBed('real-node-network', () => {
      runtime = realNodeRuntime(node, { tenantAccounts: 'versity', tenantEgress: realNodeEgress(node) });
      return runtime;
    });
    walls = await bed.withWorker(async () => {
      const endpoint = { cidr: `${node.k8s.node.address}/32`, port: portOf(declared) };
      await Promise.all([tenantA, tenantB].map((tenant) => bed.client.startPipeline(sqlPipeline(tenant, 'orders', tenant === tenantA ? { ...SMALL, egress: [endpoint] } : SMALL))));
      const [runningA, runningB] = await Promise.all([running(tenantA), running(tenantB)]);
      const [jobA, jobB] = [runningA.jobId ?? '', runningB.jobId ?? ''];
      const reach = await climbNetworkWall();
      const storage = await climbStorageWall(jobA, jobB);
      const credentials = await credentialsOnTheCluster();
      // Flink's own traffic under the wall: a checkpoint to S3 completes after it was seen holding, and HA (the API server) kept the job.
      const seen = Math.max(0, ...completedCheckpoints(tenantA, jobA));
      await waitUntil('a checkpoint on S3 after the wall was seen', async () => (completedCheckpoints(tenantA, jobA).some((id) => id > seen) ? true : undefined),
        { timeoutMs: 180_000, intervalMs: 1_000 });
      const observed = await runtime.observe({ tenant: tenantA, name: 'orders' });
      assert.ok(observed.endpoints, 'A\'s pipeline has no endpoints');
      const rest = new FlinkRestClient(observed.endpoints.restUrl, { transport: runtime.flinkTransport, timeoutMs: 10_000 });
      const job = await rest.job(jobA);
      const statuses = await Promise.all([tenantA, tenantB].map((tenant) => bed.client.getPipeline(tenant, 'orders')));
      const stopped = await Promise.all([tenantA, tenantB].map((tenant) => bed.client.stopPipeline(tenant, 'orders', { savepoint: false, drain: false, wait: true })));
      const network: NetworkWall = { reach, jobState: job.state, phases: statuses.map((s) => [s.phase, s.restarts]), stopped: stopped.map((s) => s?.finalState) };
      return { network, storage, credentials };
    });
  });

  after(async () => {
    declared?.close();
    undeclared?.close();
    await bed?.cleanUp();
    await node?.s3.stop();
  });

  async function running(tenant: string): Promise<PipelineStatus> {
    let last: PipelineStatus | undefined;
    try {
      return await waitUntil(`${tenant}'s pipeline to run`, async () => {
        const status = await bed.client.getPipeline(tenant, 'orders');
        last = status;
        if (status.phase === 'Failed' || status.phase === 'Stopped') throw new Error(`${tenant}'s pipeline ended: ${status.failure ?? status.phase}`);
        return status.phase === 'Running' ? status : undefined;
      }, { timeoutMs: 600_000, intervalMs: 1_000 });
    } catch (error) {
      // Seen once beside a heavy neighbour (load 35 on 2 cores): say where the start stood.
      throw new Error(`${(error as Error).message}; last phase ${last?.phase ?? 'unknown'}; pods: ${await podStates(tenant)}`, { cause: error });
    }
  }

  /** Each pod of the tenant's namespace: its phase and each container's readiness, restarts and waiting or last termination reason. */
  async function podStates(tenant: string): Promise<string> {
    const core = node.k8s.kubeConfig.makeApiClient(CoreV1Api);
    const pods = await core.listNamespacedPod({ namespace: runtime.namespaceOf(tenant) }).then((list) => list.items, (e: unknown) => String(e));
    if (typeof pods === 'string') return pods;
    return pods.map((p) => `${p.metadata?.name} ${p.status?.phase} [${(p.status?.containerStatuses ?? []).map((c) => `${c.name} ready=${c.ready} restarts=${c.restartCount}${c.state?.waiting ? ` waiting=${c.state.waiting.reason}` : ''}${c.lastState?.terminated ? ` last=${c.lastState.terminated.reason}` : ''}`).join(', ')}]`).join('; ') || 'none';
  }

  async function pod(tenant: string, component: 'jobmanager' | 'taskmanager'): Promise<{ name: string; ip: string }> {
    const core = node.k8s.kubeConfig.makeApiClient(CoreV1Api);
    const pods = (await core.listNamespacedPod({ namespace: runtime.namespaceOf(tenant),
      labelSelector: `${CLUSTER}=${clusterName(tenant, 'orders')},${COMPONENT}=${component}` })).items
      .filter((p: V1Pod) => !p.metadata?.deletionTimestamp && p.status?.phase === 'Running');
    assert.equal(pods.length, 1, `${tenant} has ${pods.length} running ${component} pods`);
    return { name: pods[0]?.metadata?.name ?? '', ip: pods[0]?.status?.podIP ?? '' };
  }

  /** Runs `command` in tenant A's TaskManager: its stdout when it exits 0, undefined when it exits 1 or 124, and kubectl's own failures thrown. */
  async function inTaskManagerOfA(command: string[]): Promise<string | undefined> {
    const taskManager = await pod(tenantA, 'taskmanager');
    const args = ['--kubeconfig', node.k8s.kubeconfigPath, 'exec', '-n', runtime.namespaceOf(tenantA), taskManager.name, '-c', 'taskmanager', '--', ...command];
    return promisify(execFile)(nodeBinary(toolchain(), 'kubectl'), args, { timeout: 60_000 }).then(({ stdout }) => stdout, (error: unknown) => {
      if (error instanceof Error && 'stderr' in error && NOT_CONNECTED.test(String(error.stderr))) return undefined;
      throw error;
    });
  }

  /** The image has no nc: bash's /dev/tcp opens the connection, and a refusal and a drop both fail it within 5 s. */
  const connects = async (host: string, port: number): Promise<boolean> =>
    (await inTaskManagerOfA(['timeout', '5', 'bash', '-c', `: </dev/tcp/${host}/${port}`])) !== undefined;
  const resolves = async (name: string): Promise<boolean> => (await inTaskManagerOfA(['timeout', '5', 'getent', 'hosts', name])) !== undefined;

  function completedCheckpoints(tenant: string, jobId: string): number[] {
    const dir = node.s3.objectPath(`${runtime.storageUri({ tenant, name: 'orders' })}/checkpoints/${jobId}`);
    return existsSync(dir) ? readdirSync(dir).filter((d) => d.startsWith('chk-') && existsSync(join(dir, d, '_metadata'))).map((d) => Number(d.slice(4))) : [];
  }

  async function climbNetworkWall(): Promise<Record<string, boolean>> {
    const core = node.k8s.kubeConfig.makeApiClient(CoreV1Api);
    const service = (tenant: string): string => `${clusterName(tenant, 'orders')}.${runtime.namespaceOf(tenant)}.svc.cluster.local`;
    const [jobManagerA, jobManagerB] = [await pod(tenantA, 'jobmanager'), await pod(tenantB, 'jobmanager')];
    const kubeletPort = (await core.readNode({ name: node.k8s.node.name })).status?.daemonEndpoints?.kubeletEndpoint?.Port ?? 0;
    assert.ok(kubeletPort > 0, 'the node reports no kubelet port');
    // kube-router programs a pod's chains moments after the pod appears; B's JobManager is the wall's last brick.
    await waitUntil('tenant B\'s JobManager out of tenant A\'s reach', async () => ((await connects(jobManagerB.ip, PORTS.rest)) ? undefined : true),
      { timeoutMs: 120_000, intervalMs: 2_000 });
    return {
      'own JobManager REST by Service': await connects(service(tenantA), PORTS.rest),
      'own JobManager RPC by Service': await connects(service(tenantA), PORTS.rpc),
      'own JobManager blob server by pod address': await connects(jobManagerA.ip, PORTS.blob),
      'B\'s Service name resolves (DNS)': await resolves(service(tenantB)),
      'B\'s JobManager REST by pod address': await connects(jobManagerB.ip, PORTS.rest),
      'B\'s JobManager RPC by pod address': await connects(jobManagerB.ip, PORTS.rpc),
      'B\'s JobManager REST by Service': await connects(service(tenantB), PORTS.rest),
      'B\'s JobManager RPC by Service': await connects(service(tenantB), PORTS.rpc),
      'the kubelet on the node (outside A\'s egress)': await connects(node.k8s.node.address, kubeletPort),
      'the endpoint A\'s pipeline declared (a server on the node)': await connects(node.k8s.node.address, portOf(declared)),
      'the same host on a port A did not declare': await connects(node.k8s.node.address, portOf(undeclared)),
    };
  }

  /** The file a JobManager writes into its HA storage when it takes the job: there as long as the job runs, unlike a checkpoint. */
  function executionPlanUri(tenant: string, jobId: string): string {
    const ha = `${runtime.storageUri({ tenant, name: 'orders' })}/ha/${jobId}/default`;
    const plan = readdirSync(node.s3.objectPath(ha)).find((name) => name.startsWith('submittedExecutionPlan'));
    assert.ok(plan, `${tenant}'s JobManager wrote no execution plan into ${ha}`);
    return `${ha}/${plan}`;
  }

  const sha256 = (uri: string): string => createHash('sha256').update(readFileSync(node.s3.objectPath(uri))).digest('hex');

  /**
   * From A's TaskManager, B's folders and objects are tried with each operation S3A has, and A's own
   * with the same operations, so the probe is seen to succeed where the wall lets it. B's newest
   * checkpoint may be subsumed by a newer one before the probe reaches it: the gateway judges the
   * request before it looks for the object, so the answer is the same.
   */
  async function climbStorageWall(jobA: string, jobB: string): Promise<StorageWall> {
    const [storageA, storageB] = [runtime.storageUri({ tenant: tenantA, name: 'orders' }), runtime.storageUri({ tenant: tenantB, name: 'orders' })];
    const [prefixA, prefixB] = [tenantStoragePrefixOf(runtime, tenantA), tenantStoragePrefixOf(runtime, tenantB)];
    const [planA, planB] = [executionPlanUri(tenantA, jobA), executionPlanUri(tenantB, jobB)];
    const newestB = await waitUntil('a checkpoint of B\'s', async () => { const ids = completedCheckpoints(tenantB, jobB); return ids.length > 0 ? Math.max(...ids) : undefined; },
      { timeoutMs: 180_000, intervalMs: 1_000 });
    const checkpointB = `${storageB}/checkpoints/${jobB}/chk-${newestB}/_metadata`;
    const planBefore = sha256(planB);
    const [savepointIntoB, jarIntoB] = [`${storageB}/savepoints/savepoint-planted/_metadata`, `${prefixB}artifacts/sha256/${'0'.repeat(64)}.jar`];
    const [writtenByA, sunkByA] = [`${prefixA}storage-probe/written`, `${prefixA}storage-probe/sunk`];
    const attempts: Record<string, StorageAttempt> = {
      'list B\'s tenant folder': { op: 'list', uri: prefixB },
      'list B\'s checkpoints': { op: 'list', uri: `${storageB}/checkpoints/${jobB}/` },
      'read B\'s newest checkpoint': { op: 'read', uri: checkpointB },
      'read B\'s execution plan': { op: 'read', uri: planB },
      'write a savepoint into B\'s folder': { op: 'write', uri: savepointIntoB },
      'sink a jar into B\'s artifact area, as Flink\'s FileSink writes': { op: 'sink', uri: jarIntoB },
      'delete B\'s execution plan': { op: 'delete', uri: planB },
      'list A\'s own checkpoints': { op: 'list', uri: `${storageA}/checkpoints/${jobA}/` },
      'read A\'s own execution plan': { op: 'read', uri: planA },
      'write into A\'s own folder': { op: 'write', uri: writtenByA },
      'sink into A\'s own folder': { op: 'sink', uri: sunkByA },
      'read back what A wrote': { op: 'read', uri: writtenByA },
      'delete what A wrote': { op: 'delete', uri: writtenByA },
      'delete what A sank': { op: 'delete', uri: sunkByA },
    };
    const taskManager = await pod(tenantA, 'taskmanager');
    const answers = await probeStorageInPod({ kubeconfigPath: node.k8s.kubeconfigPath, namespace: runtime.namespaceOf(tenantA), pod: taskManager.name, container: 'taskmanager' },
      Object.values(attempts));
    const outcomes = Object.keys(attempts).map((label, i): [string, string] => {
      const { outcome } = answers[i] ?? assert.fail(`no answer to ${label}`);
      if (outcome.ok) return [label, `ok: ${outcome.got}`];
      return [label, `${outcome.exception} (HTTP ${/Status Code: (\d+)/.exec(outcome.message)?.[1] ?? 'none'})`];
    });
    const present = (uris: readonly string[]): string[] => uris.filter((uri) => existsSync(node.s3.objectPath(uri)));
    return {
      attempts: Object.fromEntries(outcomes),
      bAfter: { executionPlanUnchanged: sha256(planB) === planBefore, planted: present([savepointIntoB, jarIntoB]) },
      aLeft: present([writtenByA, sunkByA]),
      aPlanBytes: statSync(node.s3.objectPath(planA)).size,
    };
  }

  /**
   * Where the gateway's root key is on the cluster: nowhere, if every pod gets its tenant's account.
   * The same search finds A's own key in A's storage Secret, so it is seen to look where keys are.
   */
  async function credentialsOnTheCluster(): Promise<Credentials> {
    const root = node.s3.root;
    const ownA = tenantCredentials(root.secretAccessKey, tenantA);
    const env = new Map((await inTaskManagerOfA(['env']) ?? '').split('\n').map((line): [string, string] => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
    const core = node.k8s.kubeConfig.makeApiClient(CoreV1Api);
    const [secrets, configMaps, pods] = await Promise.all([core.listSecretForAllNamespaces(), core.listConfigMapForAllNamespaces(), core.listPodForAllNamespaces()]);
    const texts = [
      ...secrets.items.map((s) => [`Secret ${s.metadata?.namespace}/${s.metadata?.name}`,
        Object.values(s.data ?? {}).map((value) => Buffer.from(value, 'base64').toString('utf8')).join('\n')]),
      ...configMaps.items.map((c) => [`ConfigMap ${c.metadata?.namespace}/${c.metadata?.name}`, JSON.stringify(c.data ?? {})]),
      ...pods.items.map((p) => [`Pod ${p.metadata?.namespace}/${p.metadata?.name}`, JSON.stringify(p.spec ?? {})]),
    ];
    const holders = (key: string): string[] => texts.filter(([, text]) => text?.includes(key)).map(([name]) => name ?? '');
    return {
      inTaskManager: {
        accessKeyId: env.get('AWS_ACCESS_KEY_ID'),
        secretIsAsOwn: env.get('AWS_SECRET_ACCESS_KEY') === ownA.secretAccessKey,
        holdsRootKey: [...env.values()].some((value) => value.includes(root.secretAccessKey) || value.includes(root.accessKeyId)),
      },
      holdersOfRootSecret: holders(root.secretAccessKey),
      holdersOfRootAccessKey: holders(root.accessKeyId),
      holdersOfAsSecret: holders(ownA.secretAccessKey),
    };
  }

  it('refuses tenant A\'s TaskManager a connection to tenant B\'s JobManager, while A\'s own cluster, DNS, the API server and S3 stay reachable', async () => {
    assert.deepEqual(walls.network.reach, {
      'own JobManager REST by Service': true,
      'own JobManager RPC by Service': true,
      'own JobManager blob server by pod address': true,
      'B\'s Service name resolves (DNS)': true,
      'B\'s JobManager REST by pod address': false,
      'B\'s JobManager RPC by pod address': false,
      'B\'s JobManager REST by Service': false,
      'B\'s JobManager RPC by Service': false,
      'the kubelet on the node (outside A\'s egress)': false,
      'the endpoint A\'s pipeline declared (a server on the node)': true,
      'the same host on a port A did not declare': false,
    });
    assert.equal(walls.network.jobState, 'RUNNING');
    assert.deepEqual(walls.network.phases, [['Running', 0], ['Running', 0]]);
    assert.deepEqual(walls.network.stopped, ['Stopped', 'Stopped']);
    await node.k8s.assertNoManagedObjectsLeft([tenantA, tenantB].map((tenant) => runtime.namespaceOf(tenant)), { selector: CLUSTER, graceMs: 120_000 });
  });

  it('refuses tenant A\'s TaskManager, with its own credentials and Flink\'s S3 file system, B\'s storage (list, read, write, delete), while A\'s own reads and lists', () => {
    const { attempts } = walls.storage;
    const own = Object.fromEntries(Object.entries(attempts).filter(([label]) => !label.includes('B\'s')));
    assert.deepEqual(Object.fromEntries(Object.entries(attempts).filter(([label]) => label.includes('B\'s'))), {
      'list B\'s tenant folder': REFUSED,
      'list B\'s checkpoints': REFUSED,
      'read B\'s newest checkpoint': REFUSED,
      'read B\'s execution plan': REFUSED,
      'write a savepoint into B\'s folder': REFUSED,
      'sink a jar into B\'s artifact area, as Flink\'s FileSink writes': REFUSED,
      'delete B\'s execution plan': REFUSED,
    });
    assert.deepEqual(walls.storage.bAfter, { executionPlanUnchanged: true, planted: [] });
    // A's own: the same probe, the same operations, allowed.
    const { 'list A\'s own checkpoints': listed, ...rest } = own;
    assert.match(listed ?? '', /^ok: .*\bchk-\d+\b/);
    assert.deepEqual(rest, {
      'read A\'s own execution plan': `ok: ${walls.storage.aPlanBytes} bytes`,
      'write into A\'s own folder': 'ok: written',
      'sink into A\'s own folder': 'ok: committed',
      'read back what A wrote': 'ok: 29 bytes',
      'delete what A wrote': 'ok: deleted',
      'delete what A sank': 'ok: deleted',
    });
    assert.deepEqual(walls.storage.aLeft, []);
  });

  it('gives no pod the gateway\'s root key: A\'s TaskManager holds the key of A\'s own account, and no Secret, ConfigMap or pod spec holds the root\'s', () => {
    assert.deepEqual(walls.credentials, {
      inTaskManager: { accessKeyId: tenantAccessKeyId(tenantA), secretIsAsOwn: true, holdsRootKey: false },
      holdersOfRootSecret: [],
      holdersOfRootAccessKey: [],
      holdersOfAsSecret: [`Secret ${runtime.namespaceOf(tenantA)}/${STORAGE_SECRET}`],
    });
  });
});
