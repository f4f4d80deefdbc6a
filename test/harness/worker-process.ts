import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { stopProcess } from '../../activities/runtime/local/processes';
import { toolchain } from '../../scripts/toolchain';
import { temporalTestBed } from './global';
import { trackProcess, untrackProcess } from './processes';

export interface WorkerProcess {
  readonly pid: number;
  kill(signal: NodeJS.Signals): void;
  /** Signals its whole process group (its SQL inspector JVM too): needs `ownProcessGroup`. */
  killProcessGroup(signal: NodeJS.Signals): void;
  /** Resolves with the exit code (or signal) once the process has ended. */
  readonly exited: Promise<number | NodeJS.Signals | null>;
  stop(): Promise<void>;
}

export interface WorkerProcessOptions {
  readonly taskQueue: string;
  readonly stateDir: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly logFile: string;
  /** The program to run; the real `worker/main.ts` unless a test wraps the worker (test/chaos/). */
  readonly entry?: string;
  /** Leads a process group of its own, as a container's processes do, so a test can kill it whole. */
  readonly ownProcessGroup?: boolean;
}

/**
 * The real worker entry point (`worker/main.ts`) in a process of its own, so that a test can
 * SIGKILL it mid-activity as an OOM-kill or a node failure would.
 */
export function startWorkerProcess(options: WorkerProcessOptions): WorkerProcess {
  const out = openSync(options.logFile, 'a');
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', options.entry ?? join(__dirname, '..', '..', 'worker', 'main.ts')], {
    stdio: ['ignore', out, out],
    detached: options.ownProcessGroup ?? false,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: temporalTestBed().server.address,
      FLEET_TASK_QUEUE: options.taskQueue,
      FLEET_STATE_DIR: options.stateDir,
      FLINK_HOME: toolchain().flinkHome,
      LOG_LEVEL: 'warn',
      ...options.env,
    },
  });
  closeSync(out);
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start the worker process');
  trackProcess(pid, `worker process for ${options.taskQueue}`);
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  return {
    pid,
    exited,
    kill: (signal) => child.kill(signal),
    killProcessGroup(signal) {
      if (!options.ownProcessGroup) throw new Error('killProcessGroup needs a worker started with ownProcessGroup');
      process.kill(-pid, signal);
    },
    async stop() {
      await stopProcess(pid, 25_000);
      untrackProcess(pid);
    },
  };
}

/** Worker processes for one test bed, each logging to a file of its own in the bed's folder. */
export function workerProcesses(bed: { taskQueue: string; stateDir: string }): { start(env?: NodeJS.ProcessEnv): WorkerProcess; stopAll(): Promise<void> } {
  const started: WorkerProcess[] = [];
  return {
    start(env) {
      const worker = startWorkerProcess({ taskQueue: bed.taskQueue, stateDir: bed.stateDir, env, logFile: join(bed.stateDir, `worker-${started.length}.log`) });
      started.push(worker);
      return worker;
    },
    async stopAll() {
      await Promise.all(started.splice(0).map((w) => w.stop()));
    },
  };
}
