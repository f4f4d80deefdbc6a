import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { LocalRuntime } from '../../activities/runtime/local/local-runtime';
import { isRunning, stopProcess } from '../../activities/runtime/local/processes';
import { waitUntil } from '../../activities/runtime/local/wait';
import { flinkImage } from '../../scripts/install/images/flink-image';
import { pauseImage } from '../../scripts/install/images/pause';
import { toolchain } from '../../scripts/toolchain';
import { DEFAULT_TASK_QUEUE } from '../fleet-client';
import { startKubernetesWithRealNode, stopRealNode } from './kubernetes-node';
import { startTemporalDevServer } from './temporal-dev-server';

/**
 * The local stack a developer or the demo runs: the Temporal dev server (with its UI) and one worker
 * on the local runtime, both detached, their pids, logs and state under one folder, so `dev up` is
 * safe to repeat and `dev down` finds everything from another process.
 */
export interface DevStackOptions {
  readonly dir: string;
  readonly port: number;
  readonly uiPort: number;
  /**
   * Also the Kubernetes control plane (kube-apiserver, etcd, controller-manager, scheduler, kwok), a
   * real node (containerd, kubelet, kube-proxy, CoreDNS; needs root) and a worker on the kubernetes runtime.
   */
  readonly kubernetes?: boolean;
}

/** kwok nodes run no containers; pods that select the real node (REAL_NODE_SELECTOR) run there. */
export interface DevKubernetes {
  readonly server: string;
  readonly kubeconfig: string;
  readonly dataDir: string;
  /** The real node's folder: stopRealNode(nodeDir) drains it and puts the host back. */
  readonly nodeDir: string;
  /** In start order; stopped in reverse. */
  readonly pids: readonly number[];
}

export interface DevStack {
  readonly dir: string;
  readonly address: string;
  readonly uiUrl: string;
  readonly temporalPid: number;
  readonly workerPid: number;
  readonly workerLog: string;
  readonly runtimeStateDir: string;
  readonly runtime: 'local' | 'kubernetes';
  readonly kubernetes?: DevKubernetes;
}

export function defaultDevDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.FLEET_DEV_DIR ?? join(homedir(), '.local', 'state', 'flink-fleet', 'dev');
}

const stackFile = (dir: string): string => join(dir, 'stack.json');

export function readDevStack(dir: string): DevStack | undefined {
  if (!existsSync(stackFile(dir))) return undefined;
  return JSON.parse(readFileSync(stackFile(dir), 'utf8')) as DevStack;
}

export function devStackHealth(stack: DevStack): { temporal: boolean; worker: boolean; kubernetes?: boolean } {
  const kubernetes = stack.kubernetes ? { kubernetes: stack.kubernetes.pids.every((pid) => isRunning(pid)) } : {};
  return { temporal: isRunning(stack.temporalPid), worker: isRunning(stack.workerPid), ...kubernetes };
}

function workerEnvironment(address: string, runtimeStateDir: string, kubernetes: DevKubernetes | undefined): NodeJS.ProcessEnv {
  const common = { TEMPORAL_ADDRESS: address, FLEET_TASK_QUEUE: DEFAULT_TASK_QUEUE, FLEET_STATE_DIR: runtimeStateDir, FLINK_HOME: toolchain().flinkHome };
  if (!kubernetes) return { ...common, FLEET_RUNTIME: 'local' };
  // Object storage would hold checkpoints on a real cluster; kwok's pods write nothing, so a path will do.
  return { ...common, FLEET_RUNTIME: 'kubernetes', FLEET_KUBECONFIG: kubernetes.kubeconfig, FLEET_STORAGE_URI: `file://${join(runtimeStateDir, 'storage')}` };
}

async function startDevKubernetes(dir: string): Promise<DevKubernetes> {
  const dataDir = join(dir, 'kubernetes');
  const testBed = await startKubernetesWithRealNode({ dataDir, detached: true, log: () => undefined, sandboxImage: pauseImage(toolchain()) });
  try {
    // No registry here: the Flink image the worker's pods run is loaded from the installer's cache.
    const flink = flinkImage(toolchain());
    if (existsSync(flink.archive)) await testBed.node.importImage(flink.archive);
  } catch (error) {
    await testBed.stop();
    throw error;
  }
  return { server: testBed.server, kubeconfig: testBed.kubeconfigPath, dataDir, nodeDir: testBed.node.dir, pids: testBed.pids() };
}

/** The node first, while the apiserver can still tell its kubelet to tear the pods down. */
async function stopDevKubernetes(kubernetes: DevKubernetes): Promise<void> {
  await stopRealNode(kubernetes.nodeDir);
  for (const pid of [...kubernetes.pids].reverse()) await stopProcess(pid, 10_000);
  rmSync(kubernetes.dataDir, { recursive: true, force: true });
}

function startWorker(dir: string, env: NodeJS.ProcessEnv): { pid: number; log: string } {
  const log = join(dir, 'worker.log');
  const out = openSync(log, 'a');
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', join(__dirname, '..', '..', 'worker', 'main.ts')], {
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...process.env, ...env },
  });
  closeSync(out);
  if (child.pid === undefined) throw new Error('could not start the worker');
  child.unref();
  return { pid: child.pid, log };
}

/** Resolves once the worker logged that it polls, or fails with its log's last lines. */
async function workerReady(pid: number, log: string, since: number): Promise<void> {
  await waitUntil('the flink-fleet worker', async () => {
    const started = readFileSync(log, 'utf8').slice(since).includes('"msg":"worker started"');
    return started ? true : undefined;
  }, { timeoutMs: 90_000, logFile: log, hopeless: () => (isRunning(pid) ? undefined : 'exited') });
}

export async function devUp(options: DevStackOptions): Promise<{ stack: DevStack; alreadyUp: boolean }> {
  const existing = readDevStack(options.dir);
  if (existing) {
    const health = devStackHealth(existing);
    const sameRuntime = existing.runtime === (options.kubernetes ? 'kubernetes' : 'local');
    if (health.temporal && health.worker && health.kubernetes !== false && sameRuntime) return { stack: existing, alreadyUp: true };
    await devDown(options.dir);
  }
  mkdirSync(options.dir, { recursive: true });
  const server = await startTemporalDevServer({
    binary: toolchain().temporalBinary, stateDir: join(options.dir, 'temporal'), port: options.port, uiPort: options.uiPort,
  });
  const runtimeStateDir = join(options.dir, 'runtime');
  const workerLog = join(options.dir, 'worker.log');
  const logStart = existsSync(workerLog) ? readFileSync(workerLog, 'utf8').length : 0;
  let kubernetes: DevKubernetes | undefined;
  try {
    kubernetes = options.kubernetes ? await startDevKubernetes(options.dir) : undefined;
  } catch (error) {
    await server.stop();
    throw error;
  }
  const worker = startWorker(options.dir, workerEnvironment(server.address, runtimeStateDir, kubernetes));
  const stack: DevStack = {
    dir: options.dir, address: server.address, uiUrl: server.uiUrl ?? `http://127.0.0.1:${options.uiPort}`,
    temporalPid: server.pid, workerPid: worker.pid, workerLog: worker.log, runtimeStateDir,
    runtime: kubernetes ? 'kubernetes' : 'local', ...(kubernetes ? { kubernetes } : {}),
  };
  writeFileSync(stackFile(options.dir), `${JSON.stringify(stack, null, 2)}\n`);
  try {
    await workerReady(worker.pid, worker.log, logStart);
  } catch (error) {
    await devDown(options.dir);
    throw error;
  }
  return { stack, alreadyUp: false };
}

/**
 * Stops the worker first (SIGTERM: it finishes or hands back its activities), then deletes the Flink
 * clusters it left running, so no JVM outlives the stack, then stops the server. Workflows that
 * still run resume at the next `dev up` (the server keeps its database) and redeploy what they need.
 */
export async function devDown(dir: string): Promise<{ stack: DevStack; deletedClusters: string[] } | undefined> {
  const stack = readDevStack(dir);
  if (!stack) return undefined;
  await stopProcess(stack.workerPid, 30_000);
  // Local clusters are JVMs that would outlive the stack; Kubernetes objects go with the control plane.
  const runtime = new LocalRuntime({ flinkHome: toolchain().flinkHome, stateDir: stack.runtimeStateDir });
  const clusters = await runtime.listClusters();
  for (const cluster of clusters) await runtime.deleteCluster(cluster);
  if (stack.kubernetes) await stopDevKubernetes(stack.kubernetes);
  await stopProcess(stack.temporalPid, 10_000);
  rmSync(stackFile(dir), { force: true });
  return { stack, deletedClusters: clusters.map((c) => c.cluster) };
}
