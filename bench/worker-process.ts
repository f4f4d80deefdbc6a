import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { toolchain } from '../scripts/toolchain';
import { WORKER_PROCESS_ENV } from '../worker/process-env';
import { onInterrupt } from './interrupt';

/** Workers this bench started that are still alive. */
const running = new Set<number>();
let handlersInstalled = false;

function signalWorkers(signal: NodeJS.Signals): void {
  for (const pid of running) {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}

/**
 * A worker runs detached (its own process group, as in its own container), so neither a Ctrl-C at
 * the terminal nor a kill of the bench reaches it: without these, an interrupted bench left its
 * worker, and the worker its SQL inspector JVM, polling on.
 */
function stopWorkersWhenTheBenchEnds(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.once('exit', () => signalWorkers('SIGTERM'));
  onInterrupt(() => signalWorkers('SIGTERM'));
}

/**
 * The real worker entry point (`worker/main.ts`) in a process of its own, as a Deployment runs it (with
 * its image's Node options), so a bench measures the worker users run; it logs to `<root>/worker.log` and keeps its state under `<root>/state`.
 */
export function startWorkerProcess(root: string, worker: { address: string; taskQueue: string; codecKeys: string; env?: NodeJS.ProcessEnv }): number {
  const out = openSync(join(root, 'worker.log'), 'a');
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', join(__dirname, '..', 'worker', 'main.ts')], {
    detached: true, stdio: ['ignore', out, out],
    env: {
      ...process.env, ...WORKER_PROCESS_ENV, TEMPORAL_ADDRESS: worker.address, FLEET_TASK_QUEUE: worker.taskQueue, FLEET_STATE_DIR: join(root, 'state'), FLINK_HOME: toolchain().flinkHome,
      LOG_LEVEL: 'warn', FLEET_CODEC_KEYS: worker.codecKeys, FLEET_CODEC_KEY_FILE: undefined, ...worker.env,
    },
  });
  closeSync(out);
  if (child.pid === undefined) throw new Error('could not start the worker');
  child.unref();
  stopWorkersWhenTheBenchEnds();
  running.add(child.pid);
  child.once('exit', () => running.delete(child.pid as number));
  return child.pid;
}

/** A process's resident memory from /proc, or undefined once it is gone. */
export function rssMb(pid: number): number | undefined {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
    return line ? Math.round(Number(/(\d+)/.exec(line)?.[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}
