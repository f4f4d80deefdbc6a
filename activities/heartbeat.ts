import { Context } from '@temporalio/activity';

/**
 * Heartbeats every few seconds while `work` runs, so that Temporal notices a dead worker within the
 * heartbeat timeout and delivers a cancellation to a live one. `details` lets a retry resume.
 */
export async function withHeartbeat<T>(work: () => Promise<T>, details?: () => unknown, intervalMs = 5_000): Promise<T> {
  const context = Context.current();
  const beat = (): void => context.heartbeat(details?.());
  beat();
  const timer = setInterval(beat, intervalMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/** Heartbeats, then sleeps; rejects with the cancellation when the workflow cancels the activity. */
export async function pollPause(ms: number, details?: unknown): Promise<void> {
  const context = Context.current();
  context.heartbeat(details);
  await context.sleep(ms);
}
