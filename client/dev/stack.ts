import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { KubernetesRuntime } from '../../activities/runtime/kubernetes/kubernetes-runtime';
import { LocalRuntime } from '../../activities/runtime/local/local-runtime';
import { freePort } from '../../activities/runtime/local/ports';
import { isRunning, stopProcess } from '../../activities/runtime/local/processes';
import { waitUntil } from '../../activities/runtime/local/wait';
import type { FlinkRuntime } from '../../activities/runtime/types';
import { flinkImage } from '../../scripts/install/images/flink-image';
import { pauseImage } from '../../scripts/install/images/pause';
import { installOnDemand } from '../../scripts/install/on-demand';
import { toolchain } from '../../scripts/toolchain';
import { ensureCodecKeyFile } from '../codec/keys';
import { DEFAULT_TASK_QUEUE } from '../fleet-client';
import { relaunch } from './daemons';
import { nodeReady } from './kubernetes-control-plane';
import { NODE_ADDRESS, ON_REAL_NODE, recordNodeDaemonPid, startKubernetesWithRealNode, stopRealNode } from './kubernetes-node';
import { realNodeTenantEgress } from './node-egress';
import { S3_GATEWAY, s3GatewayEnvironment, startS3Gateway, type S3Credentials } from './s3-gateway';
import {
  deadDaemons, devStackHealth, healPlan, logTail, readDevStack, removeDevStackFile, writeDevStack, type DevCodecServer, type DevKubernetes,
  type DevStack, type HealPlan,
} from './stack-file';
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
  /** The codec server's port, for the UI; omit for a free one. */
  readonly codecPort?: number;
}

/** The dev stack's one bucket; each cluster has its folder in it (`<bucket>/flink-fleet/<tenant>/<cluster>`). */
const DEV_BUCKET = 'fleet';
const DEV_STORAGE_URI = `s3://${DEV_BUCKET}/flink-fleet`;

/** What the calling shell may hold for another Temporal: undefined drops it from a child's environment. */
const FOREIGN_CONNECTION_SETTINGS = Object.fromEntries(['FLEET_CODEC_KEYS', 'TEMPORAL_TLS', 'TEMPORAL_TLS_CERT', 'TEMPORAL_TLS_KEY', 'TEMPORAL_TLS_CA',
  'TEMPORAL_TLS_SERVER_NAME', 'TEMPORAL_API_KEY', 'TEMPORAL_API_KEY_FILE'].map((name) => [name, undefined]));

const metricsUrlOf = (port: number): string => `http://127.0.0.1:${port}/metrics`;

interface WorkerSettings {
  readonly address: string;
  readonly runtimeStateDir: string;
  readonly codecKeyFile: string;
  readonly metricsUrl: string;
  readonly kubernetes?: DevKubernetes | undefined;
}

function workerEnvironment({ address, runtimeStateDir, codecKeyFile, metricsUrl, kubernetes }: WorkerSettings): NodeJS.ProcessEnv {
  const common = {
    ...FOREIGN_CONNECTION_SETTINGS, TEMPORAL_ADDRESS: address, FLEET_TASK_QUEUE: DEFAULT_TASK_QUEUE, FLEET_STATE_DIR: runtimeStateDir,
    FLINK_HOME: toolchain().flinkHome, FLEET_CODEC_KEY_FILE: codecKeyFile,
    FLEET_METRICS_HOST: '127.0.0.1', FLEET_METRICS_PORT: new URL(metricsUrl).port,
  };
  if (!kubernetes) return { ...common, FLEET_RUNTIME: 'local' };
  const s3 = JSON.parse(readFileSync(kubernetes.s3.credentialsFile, 'utf8')) as S3Credentials;
  return {
    ...common, FLEET_RUNTIME: 'kubernetes', FLEET_KUBECONFIG: kubernetes.kubeconfig, FLEET_STORAGE_URI: DEV_STORAGE_URI,
    FLEET_S3_ENDPOINT: kubernetes.s3.endpoint, FLEET_S3_ACCESS_KEY_ID: s3.accessKeyId, FLEET_S3_SECRET_ACCESS_KEY: s3.secretAccessKey, FLEET_S3_TENANT_ACCOUNTS: 'versity',
    FLEET_FLINK_IMAGE: kubernetes.flinkImage, FLEET_POD_PLACEMENT: JSON.stringify(ON_REAL_NODE),
    // Tenants are walled in from the first pipeline: a dev stack is where people try what a tenant could reach.
    FLEET_TENANT_EGRESS: JSON.stringify(realNodeTenantEgress({ nodeAddress: NODE_ADDRESS, apiServer: kubernetes.server, objectStorage: kubernetes.s3.endpoint })),
  };
}

async function startDevKubernetes(dir: string): Promise<DevKubernetes> {
  const dataDir = join(dir, 'kubernetes');
  const testBed = await startKubernetesWithRealNode({ dataDir, detached: true, log: () => undefined, sandboxImage: pauseImage(toolchain()) });
  const flink = flinkImage(toolchain());
  try {
    // No registry here: the Flink image the worker's pods run is loaded from the installer's cache.
    await testBed.node.importImage(flink.archive);
    // Outside the node's folder, so savepoints outlive `dev down` as they would outlive a cluster.
    const s3 = await startS3Gateway({ dataDir: join(dir, 's3'), host: testBed.node.address, buckets: [DEV_BUCKET], detached: true });
    const credentialsFile = join(dir, 's3-credentials.json');
    writeFileSync(credentialsFile, JSON.stringify(s3.root), { mode: 0o600 });
    return { server: testBed.server, kubeconfig: testBed.kubeconfigPath, dataDir, nodeDir: testBed.node.dir, daemons: [...testBed.daemons(), s3.daemon],
      s3: { endpoint: s3.endpoint, credentialsFile }, flinkImage: flink.reference };
  } catch (error) {
    await testBed.stop();
    throw error;
  }
}

/**
 * Starts again, in start order, each Kubernetes daemon that died, on its old arguments (its ports,
 * certificates and data: etcd keeps every object, containerd's shims kept the containers running),
 * and waits until the API server answers with every node Ready and the S3 gateway answers. What
 * still runs, the pods included, is left alone.
 */
async function healDevKubernetes(kubernetes: DevKubernetes, dead: readonly string[], started: (kubernetes: DevKubernetes) => void): Promise<DevKubernetes> {
  const root = JSON.parse(readFileSync(kubernetes.s3.credentialsFile, 'utf8')) as S3Credentials;
  const daemons = kubernetes.daemons.map((daemon) => {
    if (!dead.includes(daemon.name)) return daemon;
    const again = relaunch(daemon, daemon.name === S3_GATEWAY ? s3GatewayEnvironment(root) : {});
    recordNodeDaemonPid(kubernetes.nodeDir, again.name, again.pid);
    return again;
  });
  const healed = { ...kubernetes, daemons };
  started(healed);
  const core = devKubeConfig(kubernetes).makeApiClient(CoreV1Api);
  await waitUntil(`Kubernetes with ${dead.join(', ')} started again`, async () => {
    const nodes = (await core.listNode()).items;
    const gateway = await fetch(kubernetes.s3.endpoint, { signal: AbortSignal.timeout(2_000) });
    return nodes.length > 0 && nodes.every(nodeReady) && gateway.status > 0 ? true : undefined;
  }, {
    timeoutMs: 120_000, intervalMs: 1_000,
    hopeless: () => {
      const gone = deadDaemons(healed).find((daemon) => dead.includes(daemon.name));
      return gone && `failed: ${gone.name} exited again; its log (${gone.log}) ends:\n${logTail(gone.log, 10).join('\n')}`;
    },
  });
  return healed;
}

function devKubeConfig(kubernetes: DevKubernetes): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubernetes.kubeconfig);
  return kubeConfig;
}

/** Enough of the worker's runtime to find and delete clusters by their labels. */
function devKubernetesRuntime(kubernetes: DevKubernetes): KubernetesRuntime {
  return new KubernetesRuntime({ kubeConfig: devKubeConfig(kubernetes), storageUri: DEV_STORAGE_URI, restAccess: { mode: 'api-proxy', server: kubernetes.server } });
}

/** The node first, while the apiserver can still tell its kubelet to tear the pods down. */
async function stopDevKubernetes(kubernetes: DevKubernetes): Promise<void> {
  await stopRealNode(kubernetes.nodeDir);
  for (const { pid } of [...kubernetes.daemons].reverse()) await stopProcess(pid, 10_000);
  rmSync(kubernetes.s3.credentialsFile, { force: true });
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

function ensureToken(path: string): string {
  if (!existsSync(path)) {
    writeFileSync(path, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    chmodSync(path, 0o600);
  }
  return readFileSync(path, 'utf8').trim();
}

/** `flink-fleet codec-server` in a process of its own, so that it outlives `dev up` as the worker does. */
async function startDevCodecServer(dir: string, codecKeyFile: string, uiUrl: string, port: number): Promise<DevCodecServer & { token: string }> {
  const tokenFile = join(dir, 'codec-server-token');
  const token = ensureToken(tokenFile);
  const log = join(dir, 'codec-server.log');
  const since = existsSync(log) ? readFileSync(log, 'utf8').length : 0;
  const out = openSync(log, 'a');
  const child = spawn(process.execPath, [join(__dirname, '..', 'cli', 'bin.cjs'), '--codec-key-file', codecKeyFile, 'codec-server',
    '--port', String(port), '--ui-origin', uiUrl, '--token-file', tokenFile], { detached: true, stdio: ['ignore', out, out], env: { ...process.env, FLEET_CODEC_KEYS: undefined } });
  closeSync(out);
  if (child.pid === undefined) throw new Error('could not start the codec server');
  const pid = child.pid;
  child.unref();
  await waitUntil('the codec server', async () => (readFileSync(log, 'utf8').slice(since).includes('codec server listening') ? true : undefined),
    { timeoutMs: 60_000, logFile: log, hopeless: () => (isRunning(pid) ? undefined : 'exited') });
  return { pid, url: `http://127.0.0.1:${port}`, tokenFile, log, token };
}

/** Resolves once the worker logged that it polls, or fails with its log's last lines. */
async function workerReady(pid: number, log: string, since: number): Promise<void> {
  await waitUntil('the flink-fleet worker', async () => {
    const started = readFileSync(log, 'utf8').slice(since).includes('"msg":"worker started"');
    return started ? true : undefined;
  }, { timeoutMs: 90_000, logFile: log, hopeless: () => (isRunning(pid) ? undefined : 'exited') });
}

const portOf = (address: string): number => Number(/:(\d+)\/?$/.exec(address)?.[1]);

/**
 * Starts again what died, each as `dev up` first started it: the server on its own database file
 * and ports (so workflows it held are still there), the worker with the same environment. What still
 * runs (the other pieces, every Flink cluster) is left alone: a worker finds its clusters on disk.
 */
async function healDevStack(stack: DevStack, plan: Extract<HealPlan, { rebuild: false }>): Promise<DevStack> {
  const { restart } = plan;
  let healed = stack;
  if (restart.includes('codecServer')) {
    const codecServer = await startDevCodecServer(stack.dir, stack.codecKeyFile, stack.uiUrl, portOf(stack.codecServer.url));
    healed = { ...healed, codecServer: { pid: codecServer.pid, url: codecServer.url, tokenFile: codecServer.tokenFile, log: codecServer.log } };
  }
  if (restart.includes('temporal')) {
    const server = await startTemporalDevServer({
      binary: toolchain().temporalBinary, stateDir: join(stack.dir, 'temporal'), port: portOf(stack.address), uiPort: portOf(stack.uiUrl),
      uiCodecEndpoint: `${healed.codecServer.url}/${ensureToken(healed.codecServer.tokenFile)}`,
    });
    healed = { ...healed, temporalPid: server.pid };
  }
  if (healed.kubernetes && plan.daemons.length > 0) {
    // Recorded as soon as they run, so that `dev down` stops them even if they never serve.
    healed = { ...healed, kubernetes: await healDevKubernetes(healed.kubernetes, plan.daemons, (started) => writeDevStack({ ...healed, kubernetes: started })) };
  }
  if (restart.includes('worker')) {
    const logStart = existsSync(stack.workerLog) ? readFileSync(stack.workerLog, 'utf8').length : 0;
    const worker = startWorker(stack.dir, workerEnvironment(stack));
    healed = { ...healed, workerPid: worker.pid };
    // Recorded before it is ready, so that `dev down` finds a worker that never becomes so.
    writeDevStack(healed);
    await workerReady(worker.pid, worker.log, logStart);
  }
  writeDevStack(healed);
  return healed;
}

/** `restarted` names what died and was started again: the stack's pieces, and the Kubernetes daemons by their names. */
export async function devUp(options: DevStackOptions): Promise<{ stack: DevStack; alreadyUp: boolean; restarted: string[] }> {
  const existing = readDevStack(options.dir);
  if (existing) {
    const plan = healPlan(devStackHealth(existing), options.kubernetes ? 'kubernetes' : 'local');
    if (!plan.rebuild && plan.restart.length === 0 && plan.daemons.length === 0) return { stack: existing, alreadyUp: true, restarted: [] };
    if (!plan.rebuild) return { stack: await healDevStack(existing, plan), alreadyUp: false, restarted: [...plan.daemons, ...plan.restart] };
    await devDown(options.dir);
  }
  // A first run installs only what the local runtime needs; Kubernetes comes when it is asked for.
  if (options.kubernetes) await installOnDemand(['demo', 'kubernetes']);
  mkdirSync(options.dir, { recursive: true });
  const codecKeyFile = join(options.dir, 'codec-keys');
  ensureCodecKeyFile(codecKeyFile, `dev-${randomBytes(4).toString('hex')}`);
  const uiUrl = `http://127.0.0.1:${options.uiPort}`;
  const codecServer = await startDevCodecServer(options.dir, codecKeyFile, uiUrl, options.codecPort ?? await freePort());
  let server;
  try {
    server = await startTemporalDevServer({
      binary: toolchain().temporalBinary, stateDir: join(options.dir, 'temporal'), port: options.port, uiPort: options.uiPort,
      uiCodecEndpoint: `${codecServer.url}/${codecServer.token}`,
    });
  } catch (error) {
    await stopProcess(codecServer.pid);
    throw error;
  }
  const runtimeStateDir = join(options.dir, 'runtime');
  const workerLog = join(options.dir, 'worker.log');
  const logStart = existsSync(workerLog) ? readFileSync(workerLog, 'utf8').length : 0;
  let kubernetes: DevKubernetes | undefined;
  try {
    kubernetes = options.kubernetes ? await startDevKubernetes(options.dir) : undefined;
  } catch (error) {
    await server.stop();
    await stopProcess(codecServer.pid);
    throw error;
  }
  const metricsUrl = metricsUrlOf(await freePort());
  const worker = startWorker(options.dir, workerEnvironment({ address: server.address, runtimeStateDir, codecKeyFile, metricsUrl, kubernetes }));
  const stack: DevStack = {
    dir: options.dir, address: server.address, uiUrl,
    temporalPid: server.pid, workerPid: worker.pid, workerLog: worker.log, metricsUrl, runtimeStateDir,
    runtime: kubernetes ? 'kubernetes' : 'local', ...(kubernetes ? { kubernetes } : {}),
    codecKeyFile, codecServer: { pid: codecServer.pid, url: codecServer.url, tokenFile: codecServer.tokenFile, log: codecServer.log },
  };
  writeDevStack(stack);
  try {
    await workerReady(worker.pid, worker.log, logStart);
  } catch (error) {
    await devDown(options.dir);
    throw error;
  }
  return { stack, alreadyUp: false, restarted: [] };
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
  // Local clusters are JVMs that would outlive the stack; Kubernetes ones are deleted as a worker
  // would (the node's drain would only kill their pods), while the control plane still answers.
  const runtimes: FlinkRuntime[] = [new LocalRuntime({ flinkHome: toolchain().flinkHome, stateDir: stack.runtimeStateDir })];
  if (stack.kubernetes) runtimes.push(devKubernetesRuntime(stack.kubernetes));
  const deleted: string[] = [];
  for (const runtime of runtimes) {
    // A control plane that died with the stack has nothing left to delete: its data goes below.
    const clusters = await runtime.listClusters().catch(() => []);
    for (const cluster of clusters) await runtime.deleteCluster(cluster);
    deleted.push(...clusters.map((c) => c.cluster));
  }
  if (stack.kubernetes) await stopDevKubernetes(stack.kubernetes);
  await stopProcess(stack.temporalPid, 10_000);
  await stopProcess(stack.codecServer.pid, 10_000);
  removeDevStackFile(dir);
  return { stack, deletedClusters: deleted };
}
