import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiException, CoreV1Api, NodeV1Api } from '@kubernetes/client-node';
import { freePort } from '../../../activities/runtime/local/ports';
import { waitUntil } from '../../../activities/runtime/local/wait';
import { toolchain } from '../../../scripts/toolchain';
import { nodeReady, SERVICE_CIDR, type KubernetesTestBed } from '../kubernetes-control-plane';
import {
  certificateKubeconfig, cniConflist, containerdConfig, corefile, kubeletConfig, kubeProxyConfig, NODE_ADDRESS, NODE_NAME, type NodePaths,
  REAL_NODE_LABEL, SANDBOX_RUNTIME_HANDLER,
} from './configs';
import { launchOf, type DaemonLaunch } from '../daemons';
import type { HostState } from './host-state';
import type { TestBedPki } from './pki';

/**
 * The node's processes, each started from its configuration and waited for until it serves:
 * containerd (with the sandbox image loaded), the kubelet (its node Ready), kube-proxy, CoreDNS and
 * kube-router's firewall (NetworkPolicies enforced).
 */
export type NodeComponent = 'containerd' | 'kubelet' | 'kube-proxy' | 'coredns' | 'kube-router';
export const COMPONENTS: readonly NodeComponent[] = ['containerd', 'kubelet', 'kube-proxy', 'coredns', 'kube-router'];

/** What `stopRealNode` needs, kept in the node's folder so that another process (`dev down`) can stop it. */
export interface NodeRecord {
  readonly before: HostState;
  readonly pids: Partial<Record<NodeComponent, number>>;
  readonly adminKubeconfig?: string;
}

export interface SandboxImage {
  readonly reference: string;
  readonly archive: string;
}

export class RealNodeUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RealNodeUnavailable';
  }
}

const READY_TIMEOUT_MS = 120_000;
export const recordFile = (dir: string): string => join(dir, 'node.json');

export function ctr(paths: NodePaths, args: string[], timeoutMs = 300_000): string {
  return execFileSync('ctr', ['--address', paths.containerdSocket, '--namespace', 'k8s.io', ...args], { encoding: 'utf8', timeout: timeoutMs });
}


interface Daemon {
  readonly name: NodeComponent;
  readonly launch: DaemonLaunch;
  readonly logFile: string;
  exit?: string;
}

function startDaemon(paths: NodePaths, name: NodeComponent, binary: string, args: string[], detached: boolean): Daemon {
  const logFile = join(paths.logs, `${name}.log`);
  const out = openSync(logFile, 'a');
  const child = spawn(binary, args, { stdio: ['ignore', out, out], detached });
  closeSync(out);
  const launch = launchOf(name, child, logFile);
  if (launch === undefined) throw new RealNodeUnavailable(`could not start ${binary}`);
  if (detached) child.unref();
  const daemon: Daemon = { name, launch, logFile };
  child.on('exit', (code, signal) => { daemon.exit = `exited (${signal ?? `code ${code}`})`; });
  return daemon;
}

async function waitFor(daemon: Daemon, probe: () => Promise<boolean>): Promise<void> {
  await waitUntil(daemon.name, async () => ((await probe()) ? true : undefined),
    { timeoutMs: READY_TIMEOUT_MS, intervalMs: 500, logFile: daemon.logFile, hopeless: () => daemon.exit });
}

async function httpOk(url: string): Promise<boolean> {
  return (await fetch(url, { signal: AbortSignal.timeout(2_000) })).ok;
}

export function writeJson(file: string, content: object): void {
  writeFileSync(file, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
}

export interface NodeStart {
  readonly paths: NodePaths;
  readonly controlPlane: KubernetesTestBed;
  readonly pki: TestBedPki;
  readonly sandboxImage: SandboxImage;
  readonly detached: boolean;
  readonly record: { before: HostState; pids: Partial<Record<NodeComponent, number>>; adminKubeconfig: string };
  /** Every daemon started, in start order. */
  readonly launches: DaemonLaunch[];
}

export async function startContainerd(start: NodeStart): Promise<void> {
  const { paths } = start;
  mkdirSync(paths.cniConfDir, { recursive: true });
  mkdirSync(paths.containerdRoot, { recursive: true });
  writeJson(join(paths.cniConfDir, '10-flink-fleet.conflist'), cniConflist(paths));
  writeFileSync(paths.containerdConfig, containerdConfig(paths, { sandboxImage: start.sandboxImage.reference, cniBin: toolchain().cniBin }));
  const daemon = launch(start, 'containerd', '/usr/bin/containerd', ['--config', paths.containerdConfig]);
  await waitFor(daemon, async () => existsSync(paths.containerdSocket) && spawnSync('ctr', ['--address', paths.containerdSocket, 'version'],
    { stdio: 'ignore' }).status === 0);
  ctr(paths, ['images', 'import', start.sandboxImage.archive]);
}

function launch(start: NodeStart, name: NodeComponent, binary: string, args: string[]): Daemon {
  const daemon = startDaemon(start.paths, name, binary, args, start.detached);
  start.record.pids[name] = daemon.launch.pid;
  start.launches.push(daemon.launch);
  writeJson(recordFile(start.paths.dir), start.record);
  return daemon;
}

export async function startKubelet(start: NodeStart): Promise<void> {
  const { paths, pki, controlPlane } = start;
  writeJson(paths.kubeletKubeconfig, certificateKubeconfig(controlPlane.server, pki.caCert, `system:node:${NODE_NAME}`,
    pki.kubeletClient.cert, pki.kubeletClient.key));
  const [port, healthzPort] = [await freePort(), await freePort()];
  writeJson(paths.kubeletConfig, kubeletConfig(paths, { address: NODE_ADDRESS, port, healthzPort, pki,
    taint: { key: REAL_NODE_LABEL, value: 'true', effect: 'NoSchedule' } }));
  const daemon = launch(start, 'kubelet', join(toolchain().kubernetesNodeBin, 'kubelet'), [`--config=${paths.kubeletConfig}`,
    `--kubeconfig=${paths.kubeletKubeconfig}`, `--root-dir=${paths.kubeletRoot}`, `--hostname-override=${NODE_NAME}`,
    `--node-ip=${NODE_ADDRESS}`, `--node-labels=${REAL_NODE_LABEL}=true`]);
  const core = controlPlane.kubeConfig.makeApiClient(CoreV1Api);
  await waitFor(daemon, async () => {
    return nodeReady(await core.readNode({ name: NODE_NAME }));
  });
}

/** The RuntimeClass of containerd's second handler (configs.ts); a node started again on the same control plane finds it. */
export async function registerSandboxRuntimeClass(controlPlane: KubernetesTestBed): Promise<void> {
  const node = controlPlane.kubeConfig.makeApiClient(NodeV1Api);
  try {
    await node.createRuntimeClass({ body: { apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: { name: SANDBOX_RUNTIME_HANDLER }, handler: SANDBOX_RUNTIME_HANDLER } });
  } catch (error) {
    if (!(error instanceof ApiException && error.code === 409)) throw error;
  }
}

export async function startKubeProxy(start: NodeStart): Promise<void> {
  const { paths, pki, controlPlane } = start;
  writeJson(paths.kubeProxyKubeconfig, certificateKubeconfig(controlPlane.server, pki.caCert, 'system:kube-proxy',
    pki.kubeProxy.cert, pki.kubeProxy.key));
  const [healthzPort, metricsPort] = [await freePort(), await freePort()];
  writeJson(paths.kubeProxyConfig, kubeProxyConfig(paths, { address: NODE_ADDRESS, healthzPort, metricsPort }));
  const daemon = launch(start, 'kube-proxy', join(toolchain().kubernetesNodeBin, 'kube-proxy'), [`--config=${paths.kubeProxyConfig}`]);
  await waitFor(daemon, () => httpOk(`http://${NODE_ADDRESS}:${healthzPort}/healthz`));
}

export async function startCoreDns(start: NodeStart): Promise<void> {
  const readyPort = await freePort();
  writeFileSync(start.paths.corefile, corefile({ address: NODE_ADDRESS, readyPort, kubeconfig: start.controlPlane.kubeconfigPath,
    context: start.controlPlane.kubeConfig.getCurrentContext() }));
  const daemon = launch(start, 'coredns', join(toolchain().kubernetesNodeBin, 'coredns'), ['-conf', start.paths.corefile]);
  await waitFor(daemon, () => httpOk(`http://${NODE_ADDRESS}:${readyPort}/ready`));
}

/** Its firewall's own chain, made on the first full sync of every pod and policy: from then on policies hold. */
const KUBE_ROUTER_FORWARD = 'KUBE-ROUTER-FORWARD';

/**
 * kube-router's firewall only, beside kube-proxy and the bridge CNI (no routing, no service proxy):
 * the node's NetworkPolicy enforcer, through iptables and ipsets. It watches every namespace, pod and
 * policy, so it reads the API as the admin, like CoreDNS. No health port: it would listen on every
 * interface, and its own chain says more.
 */
export async function startKubeRouter(start: NodeStart): Promise<void> {
  const daemon = launch(start, 'kube-router', toolchain().kubeRouterBinary, ['--run-firewall=true', '--run-router=false',
    '--run-service-proxy=false', '--run-loadbalancer=false', `--kubeconfig=${start.controlPlane.kubeconfigPath}`,
    `--hostname-override=${NODE_NAME}`, `--service-cluster-ip-range=${SERVICE_CIDR}`, '--enable-ipv6=false', '--health-port=0',
    '--metrics-port=0']);
  await waitFor(daemon, () => Promise.resolve(spawnSync('iptables', ['-t', 'filter', '-S', KUBE_ROUTER_FORWARD], { stdio: 'ignore' }).status === 0));
}
