import type { FlinkRestClient } from '../../activities/flink/rest-client';
import { allTasksRunning, TERMINAL_JOB_STATES } from '../../activities/flink/rest-types';
import type { SqlGatewayClient } from '../../activities/flink/sql-gateway-client';
import { waitUntil } from '../../activities/runtime/local/wait';

/** Long enough for a query's tasks to deploy on a loaded machine; past it the cancel is risked anyway. */
const TASKS_RUNNING_MS = 60_000;

/**
 * Until every job on the cluster runs all its tasks or has ended. Flink 2.3 shuts a whole TaskManager
 * down when a query's collect sink is cancelled before it opened (FLINK-39330: an NPE in
 * CollectSinkFunction's close, escalated as fatal), so a query on a cluster that outlives the test is
 * cancelled only once its tasks run. Seen: a close right after submission, on a loaded machine, took
 * the shared cluster's TaskManager with it and failed every test after.
 */
export async function untilNoTaskStarting(flink: FlinkRestClient): Promise<void> {
  await waitUntil('every job on the cluster to run its tasks or end', async () => {
    for (const { id, state } of await flink.jobs()) {
      if (!TERMINAL_JOB_STATES.includes(state) && !allTasksRunning(await flink.job(id))) return undefined;
    }
    return true;
  }, { timeoutMs: TASKS_RUNNING_MS }).catch(() => undefined);
}

/** Closes a session (which cancels its queries' jobs) without tripping FLINK-39330, and waits for its jobs to end. */
export async function closeSessionSafely(gateway: SqlGatewayClient, flink: FlinkRestClient, session: string): Promise<void> {
  await untilNoTaskStarting(flink);
  await gateway.closeSession(session);
  await waitUntil('no job running', async () => ((await flink.jobs()).every((j) => TERMINAL_JOB_STATES.includes(j.state)) ? true : undefined), { timeoutMs: 30_000 });
}
