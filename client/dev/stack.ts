import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { LocalRuntime } from '../../activities/runtime/local/local-runtime';
import { isRunning, stopProcess } from '../../activities/runtime/local/processes';
import { waitUntil } from '../../activities/runtime/local/wait';
import { toolchain } from '../../scripts/toolchain';
import { DEFAULT_TASK_QUEUE } from '../fleet-client';
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
}

export interface DevStack {
  readonly dir: string;
  readonly address: string;
  readonly uiUrl: string;
  readonly temporalPid: number;
  readonly workerPid: number;
  readonly workerLog: string;
  readonly runtimeStateDir: string;
}

export function defaultDevDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.FLEET_DEV_DIR ?? join(homedir(), '.local', 'state', 'flink-fleet', 'dev');
}

const stackFile = (dir: string): string => join(dir, 'stack.json');

export function readDevStack(dir: string): DevStack | undefined {
  if (!existsSync(stackFile(dir))) return undefined;
  return JSON.parse(readFileSync(stackFile(dir), 'utf8')) as DevStack;
}

export function devStackHealth(stack: DevStack): { temporal: boolean; worker: boolean } {
  return { temporal: isRunning(stack.temporalPid), worker: isRunning(stack.workerPid) };
}

function startWorker(dir: string, address: string, runtimeStateDir: string): { pid: number; log: string } {
  const log = join(dir, 'worker.log');
  const out = openSync(log, 'a');
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', join(__dirname, '..', '..', 'worker', 'main.ts')], {
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...process.env, TEMPORAL_ADDRESS: address, FLEET_TASK_QUEUE: DEFAULT_TASK_QUEUE, FLEET_STATE_DIR: runtimeStateDir, FLINK_HOME: toolchain().flinkHome },
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
    if (health.temporal && health.worker) return { stack: existing, alreadyUp: true };
    await devDown(options.dir);
  }
  mkdirSync(options.dir, { recursive: true });
  const server = await startTemporalDevServer({
    binary: toolchain().temporalBinary, stateDir: join(options.dir, 'temporal'), port: options.port, uiPort: options.uiPort,
  });
  const runtimeStateDir = join(options.dir, 'runtime');
  const workerLog = join(options.dir, 'worker.log');
  const logStart = existsSync(workerLog) ? readFileSync(workerLog, 'utf8').length : 0;
  const worker = startWorker(options.dir, server.address, runtimeStateDir);
  const stack: DevStack = {
    dir: options.dir, address: server.address, uiUrl: server.uiUrl ?? `http://127.0.0.1:${options.uiPort}`,
    temporalPid: server.pid, workerPid: worker.pid, workerLog: worker.log, runtimeStateDir,
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
  const runtime = new LocalRuntime({ flinkHome: toolchain().flinkHome, stateDir: stack.runtimeStateDir });
  const clusters = await runtime.listClusters();
  for (const cluster of clusters) await runtime.deleteCluster(cluster);
  await stopProcess(stack.temporalPid, 10_000);
  rmSync(stackFile(dir), { force: true });
  return { stack, deletedClusters: clusters.map((c) => c.cluster) };
}
