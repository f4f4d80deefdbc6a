import type { Client } from '@temporalio/client';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { lastLines } from '../../activities/runtime/local/processes';
import type { Fault } from './fault';
import { FAULT_ENV } from './fault';
import { temporalTestBed } from '../harness/global';
import { startWorkerProcess, type WorkerProcess } from '../harness/worker-process';

const WORKER_WITH_FAULT = join(__dirname, 'worker-with-fault.ts');

/**
 * Every activity boundary of a workflow, read from the history of a fault-free run of it: the start
 * and the end of each activity it scheduled, in order, named by type and occurrence. A workflow that
 * repeats an activity on a timer (the pool's reconcile) counts each type once: its later runs are the
 * same boundary at another time.
 */
export async function boundariesOf(client: Client, workflowId: string, workflowType: string, options: { firstOccurrenceOnly?: boolean } = {}): Promise<Fault[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const occurrences = new Map<string, number>();
  const faults: Fault[] = [];
  for (const event of history.events ?? []) {
    const activityType = event.activityTaskScheduledEventAttributes?.activityType?.name;
    if (!activityType) continue;
    const occurrence = (occurrences.get(activityType) ?? 0) + 1;
    occurrences.set(activityType, occurrence);
    if (options.firstOccurrenceOnly && occurrence > 1) continue;
    faults.push({ workflowType, activityType, occurrence, when: 'start' }, { workflowType, activityType, occurrence, when: 'end' });
  }
  return faults;
}

export interface FaultyWorkers {
  /** The worker that carries the fault, started first. */
  readonly faulty: WorkerProcess;
  /** Resolves once the faulty worker has died and a healthy one replaced it, with how it died. */
  readonly replaced: Promise<number | NodeJS.Signals | null>;
  /** True once the faulty worker died of its fault, waiting up to `graceMs` for a boundary reached late. */
  diedOfFault(graceMs?: number): Promise<boolean>;
  /**
   * Why waiting on the workflow is pointless, or undefined: no worker is left to run it because one
   * crashed (exited on its own, not by its fault's SIGKILL), with the last lines of its log.
   */
  crashed(): string | undefined;
  stop(): Promise<void>;
}

/**
 * A worker process that dies at `fault` (or runs healthy without one), replaced by a healthy worker
 * the moment it dies, as a Deployment would restart it.
 */
export function faultyWorkers(bed: { taskQueue: string; stateDir: string }, fault: Fault | undefined): FaultyWorkers {
  const bundle = temporalTestBed().workflowBundleFile();
  let stopping = false;
  let crash: string | undefined;
  const start = (label: string, extra: NodeJS.ProcessEnv): WorkerProcess => {
    const logFile = join(bed.stateDir, `worker-${label}.log`);
    const worker = startWorkerProcess({ taskQueue: bed.taskQueue, stateDir: bed.stateDir, entry: WORKER_WITH_FAULT, logFile, env: { FLEET_TEST_WORKFLOW_BUNDLE: bundle, ...extra } });
    void worker.exited.then((how) => {
      if (!stopping && how !== 'SIGKILL') crash ??= `the ${label} worker exited (${String(how)}) on its own; last lines of ${logFile}:\n${lastLines(logFile)}`;
    });
    return worker;
  };
  const faulty = start('faulty', fault ? { [FAULT_ENV]: JSON.stringify(fault) } : {});
  let healthy: WorkerProcess | undefined;
  const replaced = faulty.exited.then((how) => {
    if (!stopping) healthy = start('healthy', {});
    return how;
  });
  return {
    faulty, replaced,
    // The end of a cancelled activity (a watch cut short by a stop) is reached at its next heartbeat,
    // which may come after the workflow has moved on or ended.
    async diedOfFault(graceMs = 60_000) {
      return (await Promise.race([replaced, sleep(graceMs)])) === 'SIGKILL';
    },
    crashed: () => crash,
    async stop() {
      stopping = true;
      await faulty.stop();
      await replaced;
      await healthy?.stop();
    },
  };
}

/**
 * Cases run at once by each matrix. Each case has its own workers and Flink cluster(s) on a 2-core
 * machine that the other half of `npm test` loads too: three at once stretched each case's waits
 * past 300 s in CI, where two take little longer in all.
 */
export const MATRIX_LANES = 2;

/** Runs `run` for every case, `concurrency` at a time; returns the problems, one line each, by case. */
export async function runMatrix<T>(cases: readonly T[], concurrency: number, name: (c: T) => string, run: (c: T, index: number) => Promise<string[]>): Promise<string[]> {
  const problems: string[] = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < cases.length) {
      const index = next++;
      const c = cases[index] as T;
      const found = await run(c, index).catch((error: unknown) => [error instanceof Error ? error.message : String(error)]);
      problems.push(...found.map((p) => `${name(c)}: ${p}`));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, cases.length) }, lane));
  return problems;
}
