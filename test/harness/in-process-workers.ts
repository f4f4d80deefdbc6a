import type { Worker } from '@temporalio/worker';

/**
 * Fleet workers running inside mocha's process. Mocha cannot stop a test or hook that timed out: its
 * body runs on, and so does the worker serving it, whose workflows (a pool replacing the TaskManagers
 * the leak check killed, a pipeline restarting) go on starting Flink processes during the tests after,
 * failing each of them. A worker still running when its test or file has ended is stopped and named.
 */
type WorkerScope = 'test' | 'file';

interface Running {
  readonly worker: Worker;
  readonly taskQueue: string;
  readonly scope: WorkerScope;
  /** Settles when the worker has stopped. */
  readonly done: Promise<unknown>;
}

const running = new Set<Running>();

/** How long a stopped worker's activities get to end before the check moves on regardless. */
const STOP_WAIT_MS = 60_000;

/** Runs `worker` until `done` settles (mocha's own wait on it may have ended long before). */
export function trackWorker(worker: Worker, taskQueue: string, scope: WorkerScope, done: Promise<unknown>): void {
  const entry: Running = { worker, taskQueue, scope, done };
  running.add(entry);
  // Handled here as well: a body abandoned by a timed-out test rejects once its worker is stopped.
  done.catch(() => undefined).finally(() => running.delete(entry));
}

/**
 * Stops every worker of `scope` (a file's check takes the test's too) that is still running, and
 * returns a description of each, empty when none was left.
 */
export async function stopLeftWorkers(scope: WorkerScope): Promise<string[]> {
  const left = [...running].filter((r) => scope === 'file' || r.scope === 'test');
  await Promise.all(left.map(async (r) => {
    if (r.worker.getState() === 'RUNNING') r.worker.shutdown();
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise((resolve) => { timer = setTimeout(resolve, STOP_WAIT_MS); });
    await Promise.race([r.done.catch(() => undefined), waited]);
    clearTimeout(timer);
  }));
  return left.map((r) => `an in-process worker on task queue ${r.taskQueue} (now stopped)`);
}
