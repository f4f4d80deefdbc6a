import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, KubeConfig, type V1Toleration } from '@kubernetes/client-node';
import { isRunning, stopProcess } from '../../activities/runtime/local/processes';
import { waitUntil } from '../../activities/runtime/local/wait';
import { toolchain } from '../../scripts/toolchain';
import { KUBERNETES_SERVICE_IP, startKubernetes, type KubernetesTestBed, type KubernetesTestBedOptions } from './kubernetes-control-plane';
import type { DaemonLaunch } from './daemons';
import {
  COMPONENTS, ctr, recordFile, RealNodeUnavailable, registerSandboxRuntimeClass, startContainerd, startCoreDns, startKubelet, startKubeProxy, startKubeRouter, writeJson,
  type NodeComponent, type NodeRecord, type NodeStart, type SandboxImage,
} from './node/components';
import { NODE_ADDRESS, NODE_NAME, nodePaths, REAL_NODE_LABEL, TEST_INTERFACE, type NodePaths } from './node/configs';
import {
  claimSharedContainerdDir, KUBELET_SYSCTLS, processesInNewCgroups, restoreHostState, snapshotHostState, writeSysctls, type HostState,
} from './node/host-state';
import { claimHost, releaseClaim, type HostClaim } from './node/host-claim';
import { createTestBedPki, type TestBedPki } from './node/pki';

export { RealNodeUnavailable, type SandboxImage } from './node/components';
export { NODE_ADDRESS, REAL_NODE_LABEL, SANDBOX_RUNTIME_HANDLER, TEST_INTERFACE } from './node/configs';
export { NODE_NAME as REAL_NODE } from './node/configs';

/**
 * Pods that must really run select the real node and tolerate its taint; every other pod (and
 * every kwok test) keeps landing on kwok nodes, which run nothing.
 */
export const REAL_NODE_SELECTOR: Readonly<Record<string, string>> = { [REAL_NODE_LABEL]: 'true' };
export const REAL_NODE_TOLERATION: V1Toleration = { key: REAL_NODE_LABEL, operator: 'Equal', value: 'true', effect: 'NoSchedule' };
/** Spread into a pod spec (or a pod template's) to run it for real. */
export const ON_REAL_NODE: { nodeSelector: Record<string, string>; tolerations: V1Toleration[] } = {
  nodeSelector: { ...REAL_NODE_SELECTOR }, tolerations: [REAL_NODE_TOLERATION],
};

export interface RealNode {
  readonly name: string;
  readonly address: string;
  readonly dir: string;
  readonly containerdSocket: string;
  /** containerd, kubelet, kube-proxy, CoreDNS and kube-router, in start order. */
  pids(): number[];
  /** The same, with how each was started. */
  daemons(): DaemonLaunch[];
  /** Loads an OCI archive (`ctr images import`) into the node's containerd, where the kubelet finds it. */
  importImage(archive: string): Promise<void>;
  /** Image references the node's containerd holds in the kubelet's namespace. */
  images(): string[];
  stop(): Promise<void>;
}

export interface KubernetesWithRealNode extends KubernetesTestBed {
  readonly node: RealNode;
}

/** Host-wide: the claim of the node that holds the host (host-claim.ts), so a crashed run's can be undone. */
const CURRENT_NODE_FILE = '/run/flink-fleet-node';

/**
 * A claim whose starter is dead and whose node has no live process is a node abandoned (its run
 * SIGKILLed): put the host back and release it. A node still starting or running is left alone.
 */
async function undoAbandonedNode(claim: HostClaim): Promise<void> {
  if (claim.owner > 0 && isRunning(claim.owner)) return;
  // A starter that died before it recorded anything changed nothing but the claim.
  if (!existsSync(recordFile(claim.dir))) {
    releaseClaim(CURRENT_NODE_FILE, claim.dir);
    return;
  }
  const record = JSON.parse(readFileSync(recordFile(claim.dir), 'utf8')) as NodeRecord;
  if (Object.values(record.pids).some((pid) => isRunning(pid))) return;
  // Puts the host back, then releases the claim.
  await stopRealNode(claim.dir);
}

function createTestInterface(): void {
  // A bridge without ports rather than a dummy: this kernel has no dummy driver, and the bridge
  // driver is loaded anyway for the pods' cni0.
  const add = spawnSync('ip', ['link', 'add', TEST_INTERFACE, 'type', 'bridge'], { encoding: 'utf8' });
  if (add.status !== 0) {
    throw new RealNodeUnavailable(`cannot create the test interface ${TEST_INTERFACE} (${add.stderr.trim()}): another real node runs on this `
      + `host, or one was not stopped (\`flink-fleet dev down\`, or \`ip link delete ${TEST_INTERFACE}\` when nothing runs)`);
  }
  execFileSync('ip', ['address', 'add', `${NODE_ADDRESS}/32`, 'dev', TEST_INTERFACE]);
  execFileSync('ip', ['link', 'set', TEST_INTERFACE, 'up']);
}

function requireRoot(): void {
  if (process.getuid?.() !== 0) throw new RealNodeUnavailable('a real Kubernetes node needs root (containerd, the kubelet and iptables)');
  const kubelet = join(toolchain().kubernetesNodeBin, 'kubelet');
  if (!existsSync(kubelet)) throw new RealNodeUnavailable(`${kubelet} is missing: run \`npm run install-deps -- kubernetes\``);
}


function realNode(paths: NodePaths, record: NodeRecord, launches: readonly DaemonLaunch[]): RealNode {
  return {
    name: NODE_NAME, address: NODE_ADDRESS, dir: paths.dir, containerdSocket: paths.containerdSocket,
    pids: () => COMPONENTS.flatMap((name) => (record.pids[name] === undefined ? [] : [record.pids[name]])),
    daemons: () => [...launches],
    importImage: async (archive) => {
      await promisify(execFile)('ctr', ['--address', paths.containerdSocket, '--namespace', 'k8s.io', 'images', 'import', archive],
        { timeout: 600_000 });
    },
    images: () => ctr(paths, ['images', 'list', '--quiet']).split('\n').filter(Boolean),
    stop: () => stopRealNode(paths.dir),
  };
}

/**
 * Starts containerd, the kubelet, kube-proxy, CoreDNS and kube-router as a node of `controlPlane`, which must
 * have been started with `realNode` support (see startKubernetesWithRealNode). On failure it stops
 * what it started and puts the host back.
 */
async function startRealNode(controlPlane: KubernetesTestBed, pki: TestBedPki, sandboxImage: SandboxImage, before: HostState,
  options: { dir: string; detached: boolean }): Promise<RealNode> {
  const paths = nodePaths(options.dir);
  mkdirSync(paths.logs, { recursive: true });
  const record = { before, pids: {}, adminKubeconfig: controlPlane.kubeconfigPath };
  writeJson(recordFile(paths.dir), record);
  const start: NodeStart = { paths, controlPlane, pki, sandboxImage, detached: options.detached, record, launches: [] };
  await startContainerd(start);
  await startKubelet(start);
  await registerSandboxRuntimeClass(controlPlane);
  // Set by the kubelet at start only; the node needs none of them, the host's owner chose the others.
  writeSysctls(before.sysctls, KUBELET_SYSCTLS);
  await startKubeProxy(start);
  await startCoreDns(start);
  await startKubeRouter(start);
  return realNode(paths, record, start.launches);
}

/**
 * Records the pid of a node daemon started again (by `dev up`), so that stopRealNode stops the new
 * process; a name that is not the node's (a control-plane component) changes nothing.
 */
export function recordNodeDaemonPid(dir: string, name: string, pid: number): void {
  const component = COMPONENTS.find((c) => c === name);
  if (component === undefined || !existsSync(recordFile(dir))) return;
  const record = JSON.parse(readFileSync(recordFile(dir), 'utf8')) as NodeRecord;
  writeJson(recordFile(dir), { ...record, pids: { ...record.pids, [component]: pid } });
}

/** Deleted through the API so that the kubelet tears each pod down, CNI included, while it still runs. */
async function drainNode(adminKubeconfig: string): Promise<void> {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(adminKubeconfig);
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const onNode = async (): Promise<number> => (await core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${NODE_NAME}` })).items.length;
  const pods = await core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${NODE_NAME}` });
  for (const pod of pods.items) {
    await core.deleteNamespacedPod({ name: pod.metadata?.name ?? '', namespace: pod.metadata?.namespace ?? '', gracePeriodSeconds: 1 })
      .catch(() => undefined);
  }
  await waitUntil(`pods on ${NODE_NAME} gone`, async () => ((await onNode()) === 0 ? true : undefined), { timeoutMs: 60_000, intervalMs: 500 });
}

/** Whatever the kubelet could not tear down: containerd's shims for our socket and the processes in pods' cgroups. */
function killLeftovers(paths: NodePaths, before: HostState): void {
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmdline.includes('containerd-shim') && cmdline.includes(paths.containerdSocket)) process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  for (const pid of processesInNewCgroups(before)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

async function waitNoProcessesInNewCgroups(before: HostState): Promise<void> {
  await waitUntil('pod processes gone', async () => (processesInNewCgroups(before).length === 0 ? true : undefined),
    { timeoutMs: 30_000, intervalMs: 200 }).catch(() => undefined);
}

/**
 * Stops the node in `dir` (from this process or another) and puts the host back as it was before
 * it started: pods drained through the API while the control plane still runs, then kube-router,
 * CoreDNS, kube-proxy (and its chains), the kubelet, containerd, and last the mounts, chains, interfaces,
 * paths, cgroups and sysctls it left.
 */
export async function stopRealNode(dir: string): Promise<void> {
  if (!existsSync(recordFile(dir))) return;
  const record = JSON.parse(readFileSync(recordFile(dir), 'utf8')) as NodeRecord;
  const paths = nodePaths(dir);
  const running = (name: NodeComponent): number | undefined => {
    const pid = record.pids[name];
    return pid !== undefined && isRunning(pid) ? pid : undefined;
  };
  if (record.adminKubeconfig && running('kubelet') !== undefined) await drainNode(record.adminKubeconfig).catch(() => undefined);
  for (const name of ['kube-router', 'coredns', 'kube-proxy', 'kubelet'] as const) {
    const pid = running(name);
    if (pid !== undefined) await stopProcess(pid, 10_000);
  }
  spawnSync(join(toolchain().kubernetesNodeBin, 'kube-proxy'), ['--cleanup'], { stdio: 'ignore' });
  if (running('containerd') !== undefined) {
    for (const task of ctr(paths, ['tasks', 'list', '--quiet']).split('\n').filter(Boolean)) {
      spawnSync('ctr', ['--address', paths.containerdSocket, '--namespace', 'k8s.io', 'tasks', 'delete', '--force', task], { stdio: 'ignore' });
    }
    await stopProcess(running('containerd') ?? 0, 15_000);
  }
  killLeftovers(paths, record.before);
  await waitNoProcessesInNewCgroups(record.before);
  restoreHostState(record.before);
  rmSync(recordFile(dir), { force: true });
  releaseClaim(CURRENT_NODE_FILE, dir);
}

export interface RealNodeOptions extends KubernetesTestBedOptions {
  /** The pause image every pod's sandbox runs; imported before the kubelet starts. */
  readonly sandboxImage: SandboxImage;
  /**
   * How long to wait for another node on this host to stop: a test run sharing the machine with
   * another one waits its turn; `dev up` says at once that the host is taken. Default 0.
   */
  readonly waitForHostMs?: number;
}

/**
 * The control plane of startKubernetes (kwok nodes included) plus one real node on a test-only
 * interface. Records the host's state first; stop() puts it back.
 */
export async function startKubernetesWithRealNode(options: RealNodeOptions): Promise<KubernetesWithRealNode> {
  requireRoot();
  const log = options.log ?? ((line: string) => process.stderr.write(`[kubernetes] ${line}\n`));
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'flink-fleet-kubernetes-'));
  const nodeDir = join(dataDir, 'node');
  mkdirSync(nodeDir, { recursive: true });
  await claimHost(CURRENT_NODE_FILE, nodeDir, { waitMs: options.waitForHostMs ?? 0, log, undoIfAbandoned: undoAbandonedNode });
  const before = snapshotHostState(nodeDir);
  try {
    createTestInterface();
    claimSharedContainerdDir();
  } catch (error) {
    releaseClaim(CURRENT_NODE_FILE, nodeDir);
    throw error;
  }
  writeJson(recordFile(nodeDir), { before, pids: {} } satisfies NodeRecord);
  let controlPlane: KubernetesTestBed | undefined;
  try {
    const pki = createTestBedPki(join(dataDir, 'pki'), { nodeName: NODE_NAME, address: NODE_ADDRESS, serviceIp: KUBERNETES_SERVICE_IP });
    controlPlane = await startKubernetes({ ...options, dataDir, log, realNode: { address: NODE_ADDRESS, pki } });
    const started = Date.now();
    const node = await startRealNode(controlPlane, pki, options.sandboxImage, before, { dir: nodeDir, detached: options.detached ?? false });
    log(`real node ${NODE_NAME} ready at ${NODE_ADDRESS} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const plane = controlPlane;
    return {
      ...plane, node,
      pids: () => [...plane.pids(), ...node.pids()],
      daemons: () => [...plane.daemons(), ...node.daemons()],
      stop: async () => {
        await node.stop();
        await plane.stop();
      },
    };
  } catch (error) {
    await stopRealNode(nodeDir).catch(() => undefined);
    await controlPlane?.stop();
    restoreHostState(before);
    throw error;
  }
}
