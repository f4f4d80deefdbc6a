import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { janitorScheduleId, janitorWorkflowId, type CollectOrphansInput } from '../workflows/janitor/types';

/** Every few minutes; an orphan waits at most this long plus the grace period. */
export const JANITOR_INTERVAL = '3 minutes';
/** A cluster younger than this is spared: its workflow may not have recorded it yet. */
export const DEFAULT_JANITOR_GRACE_SECONDS = 120;

/**
 * Creates the janitor's schedule of a task queue once; every worker calls this at start, so it is
 * idempotent. A worker configured with another grace period updates the schedule's (the last started wins).
 */
export async function ensureJanitorSchedule(client: Client, taskQueue: string, graceSeconds = DEFAULT_JANITOR_GRACE_SECONDS): Promise<void> {
  const input: CollectOrphansInput = { graceSeconds };
  try {
    await client.schedule.create({
      scheduleId: janitorScheduleId(taskQueue),
      spec: { intervals: [{ every: JANITOR_INTERVAL }] },
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
      action: { type: 'startWorkflow', workflowType: 'collectOrphanClusters', workflowId: janitorWorkflowId(taskQueue), taskQueue, args: [input] },
    });
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    const handle = client.schedule.getHandle(janitorScheduleId(taskQueue));
    const { action } = await handle.describe();
    if (action.type === 'startWorkflow' && (action.args?.[0] as CollectOrphansInput | undefined)?.graceSeconds === graceSeconds) return;
    await handle.update((previous) => ({ ...previous, action: { ...previous.action, args: [input] } }));
  }
}
