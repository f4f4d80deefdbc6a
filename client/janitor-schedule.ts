import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { janitorScheduleId, janitorWorkflowId } from '../workflows/janitor/types';

/** Every few minutes; an orphan waits at most this long plus the grace period. */
export const JANITOR_INTERVAL = '3 minutes';
const GRACE_SECONDS = 120;

/** Creates the janitor's schedule of a task queue once; every worker calls this at start, so it is idempotent. */
export async function ensureJanitorSchedule(client: Client, taskQueue: string): Promise<void> {
  try {
    await client.schedule.create({
      scheduleId: janitorScheduleId(taskQueue),
      spec: { intervals: [{ every: JANITOR_INTERVAL }] },
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
      action: {
        type: 'startWorkflow',
        workflowType: 'collectOrphanClusters',
        workflowId: janitorWorkflowId(taskQueue),
        taskQueue,
        args: [{ graceSeconds: GRACE_SECONDS }],
      },
    });
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
}
