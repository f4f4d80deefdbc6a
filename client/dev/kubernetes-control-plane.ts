import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig, KubernetesObjectApi, type V1Node, type V1Toleration } from '@kubernetes/client-node';
import { freePort } from '../../activities/runtime/local/ports';
import { stopProcess } from '../../activities/runtime/local/processes';
import { waitUntil } from '../../activities/runtime/local/wait';
import { controlPlaneBinary, kwokStagesFile, type ControlPlaneBinary } from '../../scripts/install/kubernetes';
import { toolchain } from '../../scripts/toolchain';
import { launchOf, type DaemonLaunch } from './daemons';
import type { TestBedPki } from './node/pki';

export const MANAGED_BY_SELECTOR = 'app.kubernetes.io/managed-by=flink-fleet';
/** Pods land on the tiny node only when they select it and tolerate its taint (same key and value). */
export const NODE_SIZE_LABEL = 'flink-fleet.test/node-size';
export const TINY_NODE_SELECTOR: Readonly<Record<string, string>> = { [NODE_SIZE_LABEL]: 'tiny' };
export const TINY_NODE_TOLERATION: V1Toleration = { key: NODE_SIZE_LABEL, operator: 'Equal', value: 'tiny', effect: 'NoSchedule' };
export const ROOMY_NODES = ['kwok-roomy-0', 'kwok-roomy-1', 'kwok-roomy-2'] as const;
export const TINY_NODE = 'kwok-tiny';
export const SERVICE_CIDR = '10.96.0.0/16';
/** The `kubernetes` Service's ClusterIP: the first address of SERVICE_CIDR. */
export const KUBERNETES_SERVICE_IP = '10.96.0.1';

/** What the control plane needs so that a real kubelet can join it and its pods can reach it. */
export interface RealNodeSupport {
  /** A non-loopback address of a test-only interface: the apiserver listens and advertises there. */
  readonly address: string;
  readonly pki: TestBedPki;
}

export interface KubernetesTestBedOptions {
  /** Created if missing; removed by stop(). Defaults to a fresh temp folder. */
  readonly dataDir?: string;
  /** Progress lines; defaults to stderr. */
  readonly log?: (line: string) => void;
  /** For `flink-fleet dev up --kubernetes`: the processes outlive the command that starts them. */
  readonly detached?: boolean;
  /** Serve and authorize a real node (see kubernetes-node.ts); without it, kwok nodes only, on loopback. */
  readonly realNode?: RealNodeSupport;
}

export interface KubernetesTestBed {
  readonly dataDir: string;
  readonly kubeconfigPath: string;
  readonly kubeConfig: KubeConfig;
  /** The kube-apiserver's https URL: on 127.0.0.1, or on the real node's test interface. */
  readonly server: string;
  /** Every process started, in start order, whether or not it still runs. */
  pids(): number[];
  /** The same processes with how each was started, so a dev stack can start one again alone. */
  daemons(): DaemonLaunch[];
  /** A new namespace whose default ServiceAccount exists, so pods can be created in it at once. */
  createTestNamespace(prefix: string, labels?: Record<string, string>): Promise<string>;
  /**
   * Fails naming every object labelled managed-by=flink-fleet (and matching `selector`, e.g. only a
   * cluster's objects, not a tenant's guard rails) still there after `graceMs` (default 15 s).
   */
  assertNoManagedObjectsLeft(namespaces: readonly string[], options?: { graceMs?: number; selector?: string }): Promise<void>;
  stop(): Promise<void>;
}

/** Deadlines are generous because CI shares two cores with a Temporal server and Flink JVMs. */
const READY_TIMEOUT_MS: Record<ControlPlaneBinary, number> = {
  etcd: 30_000, 'kube-apiserver': 90_000, 'kube-controller-manager': 60_000, 'kube-scheduler': 60_000, kwok: 60_000,
};
const STOP_GRACE_MS = 5_000;

interface Component {
  readonly name: ControlPlaneBinary;
  readonly child: ChildProcess;
  readonly logFile: string;
  exit?: string;
}

interface Ports { etcdClient: number; etcdPeer: number; apiserver: number; controllerManager: number; scheduler: number }

interface Layout { dataDir: string; logs: string; certs: string; serviceAccountKey: string; tokenFile: string; kubeconfig: string }

/** Free ports, distinct from each other. */
async function pickPorts(): Promise<Ports> {
  const ports = new Set<number>();
  while (ports.size < 5) await freePort({ taken: ports });
  const [etcdClient = 0, etcdPeer = 0, apiserver = 0, controllerManager = 0, scheduler = 0] = [...ports];
  return { etcdClient, etcdPeer, apiserver, controllerManager, scheduler };
}

/** The apiserver signs ServiceAccount tokens with this key and the controller-manager reuses it. */
function writeSecrets(dataDir: string, token: string): Layout {
  const layout: Layout = { dataDir, logs: join(dataDir, 'logs'), certs: join(dataDir, 'certs'),
    serviceAccountKey: join(dataDir, 'service-account.key'), tokenFile: join(dataDir, 'tokens.csv'), kubeconfig: join(dataDir, 'kubeconfig') };
  mkdirSync(layout.logs, { recursive: true });
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(layout.serviceAccountKey, privateKey.export({ type: 'pkcs1', format: 'pem' }), { mode: 0o600 });
  writeFileSync(layout.tokenFile, `${token},flink-fleet-admin,flink-fleet-admin,"system:masters"\n`, { mode: 0o600 });
  return layout;
}

function startComponent(name: ControlPlaneBinary, args: string[], layout: Layout, detached: boolean): Component {
  const binary = controlPlaneBinary(toolchain(), name);
  if (!existsSync(binary)) throw new Error(`${binary} is missing: run \`npm run install-deps -- kubernetes\` to build the control plane`);
  const logFile = join(layout.logs, `${name}.log`);
  const out = openSync(logFile, 'a');
  // Tests keep it attached, so a Ctrl-C in the terminal reaches the whole process group.
  const child = spawn(binary, args, { stdio: ['ignore', out, out], detached });
  closeSync(out);
  if (detached) child.unref();
  const component: Component = { name, child, logFile };
  child.on('exit', (code, signal) => { component.exit = `exited (${signal ?? `code ${code}`})`; });
  child.on('error', (error) => { component.exit = `could not start: ${error.message}`; });
  return component;
}

/** Status of an https GET that trusts only the component's self-signed certificate. */
function httpsStatus(url: string, caFile: string, token?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers = token ? { authorization: `Bearer ${token}` } : {};
    const request = httpsGet(url, { ca: readFileSync(caFile), headers, timeout: 2_000 }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('timeout', () => request.destroy(new Error(`${url} timed out`)));
    request.on('error', reject);
  });
}

async function waitReady(component: Component, probe: () => Promise<boolean>): Promise<void> {
  await waitUntil(component.name, async () => ((await probe()) ? true : undefined), {
    timeoutMs: READY_TIMEOUT_MS[component.name], logFile: component.logFile, hopeless: () => component.exit,
  });
}

function writeKubeconfig(layout: Layout, server: string, caFile: string, token: string): KubeConfig {
  const config = {
    apiVersion: 'v1', kind: 'Config', 'current-context': 'flink-fleet-test',
    clusters: [{ name: 'flink-fleet-test', cluster: { server, 'certificate-authority-data': readFileSync(caFile).toString('base64') } }],
    users: [{ name: 'flink-fleet-admin', user: { token } }],
    contexts: [{ name: 'flink-fleet-test', context: { cluster: 'flink-fleet-test', user: 'flink-fleet-admin', namespace: 'default' } }],
  };
  writeFileSync(layout.kubeconfig, JSON.stringify(config, null, 2), { mode: 0o600 });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(layout.kubeconfig);
  return kubeConfig;
}

/** Flags shared by the controller-manager and the scheduler: loopback serving, no leader election. */
function clientComponentArgs(layout: Layout, name: string, port: number): string[] {
  return [`--kubeconfig=${layout.kubeconfig}`, `--authentication-kubeconfig=${layout.kubeconfig}`,
    `--authorization-kubeconfig=${layout.kubeconfig}`, '--leader-elect=false', '--bind-address=127.0.0.1',
    `--secure-port=${port}`, `--cert-dir=${join(layout.certs, name)}`,
    // Token authentication only: there is no client CA for them to look up in kube-system.
    '--authentication-skip-lookup=true'];
}

const ADMISSION_PLUGINS = 'NamespaceLifecycle,LimitRanger,ServiceAccount,ResourceQuota,PodSecurity';

/**
 * A kubelet authenticates with a client certificate and is confined to its own node (the Node
 * authorizer and NodeRestriction); the apiserver reaches it by its InternalIP with a certificate of
 * its own, and pods reach the apiserver through the `kubernetes` Service, whose endpoint is the
 * advertised address, so it must not be loopback.
 */
function realNodeApiserverArgs({ address, pki }: RealNodeSupport): string[] {
  return [`--bind-address=${address}`, `--advertise-address=${address}`, `--tls-cert-file=${pki.apiserver.cert}`,
    `--tls-private-key-file=${pki.apiserver.key}`, `--client-ca-file=${pki.caCert}`, '--authorization-mode=Node,RBAC',
    `--enable-admission-plugins=${ADMISSION_PLUGINS},NodeRestriction`, `--kubelet-client-certificate=${pki.apiserverKubeletClient.cert}`,
    `--kubelet-client-key=${pki.apiserverKubeletClient.key}`, `--kubelet-certificate-authority=${pki.caCert}`,
    '--kubelet-preferred-address-types=InternalIP,Hostname'];
}

function apiserverArgs(layout: Layout, ports: Ports, realNode: RealNodeSupport | undefined): string[] {
  const serving = realNode ? realNodeApiserverArgs(realNode)
    : ['--bind-address=127.0.0.1', '--advertise-address=127.0.0.1', '--authorization-mode=RBAC', `--enable-admission-plugins=${ADMISSION_PLUGINS}`];
  return [`--etcd-servers=http://127.0.0.1:${ports.etcdClient}`, ...serving,
    `--secure-port=${ports.apiserver}`, `--cert-dir=${join(layout.certs, 'kube-apiserver')}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${layout.serviceAccountKey}`, `--service-account-signing-key-file=${layout.serviceAccountKey}`,
    `--token-auth-file=${layout.tokenFile}`, `--service-cluster-ip-range=${SERVICE_CIDR}`,
    // Without this the apiserver itself rejects privileged pods, and Pod Security would go untested.
    '--allow-privileged=true', '--profiling=false'];
}

function controllerManagerArgs(layout: Layout, ports: Ports, caFile: string): string[] {
  return [...clientComponentArgs(layout, 'kube-controller-manager', ports.controllerManager),
    // No cloud and no pod network here: those controllers would only log errors.
    '--controllers=*,-cloud-node-lifecycle-controller,-node-ipam-controller,-service-lb-controller,-node-route-controller',
    `--service-account-private-key-file=${layout.serviceAccountKey}`, `--root-ca-file=${caFile}`];
}

function kwokArgs(layout: Layout): string[] {
  return [`--kubeconfig=${layout.kubeconfig}`, '-c', kwokStagesFile(toolchain()),
    // A config file of stages alone leaves kwok's lease duration at 0: no node leases, so the
    // node lifecycle controller found every fake node Unknown after its 50 s grace, marked the pods
    // there not Ready (for good: kwok's pod-ready stage does not run twice), and kwok then patched
    // the node Ready again, a flip every ~55 s that failed whichever test had just created a pod.
    '--node-lease-duration-seconds=40',
    '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake', '--node-ip=127.0.0.1', '--cidr=10.0.0.0/16'];
}

/** A node for kwok to pretend to run (the annotation kwok manages by); `pods` is the kubelet's default unless a bench needs more. */
export function fakeNode(name: string, cpu: string, memory: string, disk: string, tiny: boolean, pods = '110'): V1Node {
  // A node that reports no ephemeral-storage has none to the scheduler, and every Flink pod asks for some.
  const resources = { cpu, memory, 'ephemeral-storage': disk, pods };
  return {
    metadata: { name, annotations: { 'kwok.x-k8s.io/node': 'fake' },
      labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', type: 'kwok',
        [NODE_SIZE_LABEL]: tiny ? 'tiny' : 'roomy' } },
    spec: { taints: tiny ? [{ key: NODE_SIZE_LABEL, value: 'tiny', effect: 'NoSchedule' }] : [] },
    status: { capacity: resources, allocatable: resources },
  };
}

async function createNodes(kubeConfig: KubeConfig, kwok: Component): Promise<void> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const nodes = [...ROOMY_NODES.map((name) => fakeNode(name, '16', '64Gi', '500Gi', false)), fakeNode(TINY_NODE, '500m', '512Mi', '10Gi', true)];
  for (const body of nodes) await core.createNode({ body });
  // kwok's node-initialize stage marks them Ready; until then the scheduler skips them.
  await waitReady(kwok, async () => {
    const list = await core.listNode();
    const ready = list.items.filter(nodeReady);
    return ready.length === nodes.length;
  });
}

/** The node's Ready condition is True: its kubelet (or kwok) reports it able to run pods. */
export function nodeReady(node: V1Node): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

const MANAGED_KINDS: ReadonlyArray<readonly [string, string]> = [
  ['apps/v1', 'Deployment'], ['apps/v1', 'ReplicaSet'], ['apps/v1', 'StatefulSet'], ['batch/v1', 'Job'], ['v1', 'Pod'],
  ['v1', 'Service'], ['v1', 'ConfigMap'], ['v1', 'Secret'], ['v1', 'ServiceAccount'], ['v1', 'PersistentVolumeClaim'],
  ['rbac.authorization.k8s.io/v1', 'Role'], ['rbac.authorization.k8s.io/v1', 'RoleBinding'], ['v1', 'ResourceQuota'],
  ['v1', 'LimitRange'], ['networking.k8s.io/v1', 'NetworkPolicy'],
];

async function managedObjects(objects: KubernetesObjectApi, namespaces: readonly string[], selector?: string): Promise<string[]> {
  const labelSelector = selector ? `${MANAGED_BY_SELECTOR},${selector}` : MANAGED_BY_SELECTOR;
  const found: string[] = [];
  for (const namespace of namespaces) {
    for (const [apiVersion, kind] of MANAGED_KINDS) {
      const list = await objects.list(apiVersion, kind, namespace, undefined, undefined, undefined, undefined, labelSelector);
      for (const item of list.items) {
        const terminating = item.metadata?.deletionTimestamp ? ' (terminating)' : '';
        found.push(`${kind} ${namespace}/${item.metadata?.name ?? '?'}${terminating}`);
      }
    }
  }
  return found;
}

function dnsLabel(prefix: string): string {
  const cleaned = prefix.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 50);
  return `${cleaned || 'test'}-${randomBytes(4).toString('hex')}`;
}

function testBed(layout: Layout, server: string, kubeConfig: KubeConfig, components: Component[], stop: () => Promise<void>): KubernetesTestBed {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const daemons = (): DaemonLaunch[] => components.flatMap((c) => launchOf(c.name, c.child, c.logFile) ?? []);
  return {
    dataDir: layout.dataDir, kubeconfigPath: layout.kubeconfig, kubeConfig, server, stop, daemons,
    pids: () => daemons().map((daemon) => daemon.pid),
    async createTestNamespace(prefix, labels = {}) {
      const name = dnsLabel(prefix);
      await core.createNamespace({ body: { metadata: { name, labels: { 'flink-fleet.test/namespace': 'true', ...labels } } } });
      // The ServiceAccount admission plugin refuses pods until the controller-manager made this.
      await waitUntil(`default ServiceAccount in ${name}`, async () => (await core.readNamespacedServiceAccount({ name: 'default', namespace: name })) ?? undefined,
        { timeoutMs: 30_000 });
      return name;
    },
    async assertNoManagedObjectsLeft(namespaces, options = {}) {
      // Deletion is asynchronous (finalizers, garbage collection): give it a moment before judging.
      const objects = kubeConfig.makeApiClient(KubernetesObjectApi);
      const deadline = Date.now() + (options.graceMs ?? 15_000);
      let left = await managedObjects(objects, namespaces, options.selector);
      while (left.length > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        left = await managedObjects(objects, namespaces, options.selector);
      }
      const labels = options.selector ? `${MANAGED_BY_SELECTOR},${options.selector}` : MANAGED_BY_SELECTOR;
      if (left.length > 0) throw new Error(`objects labelled ${labels} left behind: ${left.join(', ')}`);
    },
  };
}

/** Reverse start order, so nothing outlives what it depends on and etcd goes last. */
async function stopComponents(components: readonly Component[]): Promise<void> {
  for (const component of [...components].reverse()) {
    if (component.child.pid !== undefined) await stopProcess(component.child.pid, STOP_GRACE_MS);
  }
}

/**
 * Starts a real control plane on loopback: etcd, kube-apiserver, kube-controller-manager,
 * kube-scheduler and kwok with three roomy fake nodes (16 CPU, 64Gi, 500Gi of disk) and one tiny tainted one
 * (500m, 512Mi). On any failure it stops what it started and names the component with its log.
 */
export async function startKubernetes(options: KubernetesTestBedOptions = {}): Promise<KubernetesTestBed> {
  const log = options.log ?? ((line: string) => process.stderr.write(`[kubernetes] ${line}\n`));
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'flink-fleet-kubernetes-'));
  const token = randomBytes(24).toString('hex');
  const layout = writeSecrets(dataDir, token);
  const components: Component[] = [];
  const stop = async (): Promise<void> => {
    await stopComponents(components);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const ports = await pickPorts();
    const started = Date.now();
    const start = (name: ControlPlaneBinary, args: string[]): Component => {
      const component = startComponent(name, args, layout, options.detached ?? false);
      components.push(component);
      return component;
    };
    const etcd = start('etcd', [`--data-dir=${join(dataDir, 'etcd')}`, `--listen-client-url=http://127.0.0.1:${ports.etcdClient}`,
      `--listen-peer-url=http://127.0.0.1:${ports.etcdPeer}`]);
    await waitReady(etcd, async () => (await fetch(`http://127.0.0.1:${ports.etcdClient}/health`)).ok);
    const server = `https://${options.realNode?.address ?? '127.0.0.1'}:${ports.apiserver}`;
    const caFile = options.realNode?.pki.caCert ?? join(layout.certs, 'kube-apiserver', 'apiserver.crt');
    const apiserver = start('kube-apiserver', apiserverArgs(layout, ports, options.realNode));
    await waitReady(apiserver, async () => (await httpsStatus(`${server}/readyz`, caFile, token)) === 200);
    const kubeConfig = writeKubeconfig(layout, server, caFile, token);
    const controllerManager = start('kube-controller-manager', controllerManagerArgs(layout, ports, caFile));
    await waitReady(controllerManager, async () => (await httpsStatus(`https://127.0.0.1:${ports.controllerManager}/healthz`,
      join(layout.certs, 'kube-controller-manager', 'kube-controller-manager.crt'))) === 200);
    const scheduler = start('kube-scheduler', clientComponentArgs(layout, 'kube-scheduler', ports.scheduler));
    await waitReady(scheduler, async () => (await httpsStatus(`https://127.0.0.1:${ports.scheduler}/healthz`,
      join(layout.certs, 'kube-scheduler', 'kube-scheduler.crt'))) === 200);
    await createNodes(kubeConfig, start('kwok', kwokArgs(layout)));
    log(`control plane ready at ${server} in ${((Date.now() - started) / 1000).toFixed(1)} s (kubeconfig ${layout.kubeconfig})`);
    return testBed(layout, server, kubeConfig, components, stop);
  } catch (error) {
    await stop();
    throw error;
  }
}
