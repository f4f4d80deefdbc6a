import { Context } from '@temporalio/activity';
import { progressSignal, type PreviewColumn, type PreviewProgress } from '../../workflows/preview/api';
import type { PreviewQueryInput, PreviewQueryOutcome } from '../../workflows/preview/activity-types';
import { admitRows, budgetSpent, type RowTally } from '../../workflows/preview/rows';
import type { QueryMarks } from '../../workflows/preview/timings';
import { classifyFlinkError } from '../flink/errors';
import { type FlinkRestClient } from '../flink/rest-client';
import { type SqlGatewayClient, type SqlResultPage } from '../flink/sql-gateway-client';
import { withHeartbeat } from '../heartbeat';
import { taskManagersOfJob } from './job-location';

/** The gateway answers NOT_READY until a statement is done; a preview waits in small steps, not 200 ms. */
const PAGE_POLL_MS = 25;
/**
 * Where the job runs is asked every 250 ms, not every 50: each ask is three REST calls to the
 * JobManager that is scheduling the job at that moment. A/B in one hour (npm run bench, no bursts):
 * at 50 ms the task reached DEPLOYING 207 ms later than raw's and the warm preview's first row took
 * 2083 ms; at 250 ms, 24 ms later and 1683 ms. The TaskManager is still known long before the first
 * row (its slot is allocated at DEPLOYING), which is what a crash after that point needs.
 */
const TASK_MANAGER_POLL_MS = 250;

/** Kept in the heartbeat: a retry after a worker crash closes the session the crashed attempt opened. */
interface QueryHeartbeat {
  session?: string;
  /** This attempt's rows: a retry reads the result from its start, and the workflow drops what it has shown. */
  tally: RowTally;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export interface PreviewEndpoints {
  readonly gateway: SqlGatewayClient;
  readonly rest: FlinkRestClient;
}

/** Runs a DDL or SET statement to its end; its error (bad SQL) surfaces while reading its result. */
async function runToEnd(gateway: SqlGatewayClient, session: string, statement: string): Promise<void> {
  const operation = await gateway.executeStatement(session, statement);
  try {
    for await (const page of gateway.results(session, operation, { pollIntervalMs: PAGE_POLL_MS })) void page;
  } finally {
    await gateway.closeOperation(session, operation).catch(() => undefined);
  }
}

function columnsOf(page: SqlResultPage): PreviewColumn[] | undefined {
  return page.columns.length > 0 ? page.columns.map((c) => ({ name: c.name, type: c.type })) : undefined;
}

/**
 * Opens a session that names its job after the workflow, runs the setup statements and the SELECT,
 * and sends the rows to the workflow in signals as pages arrive, until the row budget, the end of
 * the data, or the deadline. Asks the JobManager where the job runs before closing the query
 * (closing cancels the job).
 */
export async function runPreviewQuery(endpoints: PreviewEndpoints, input: PreviewQueryInput, startedAt: number): Promise<PreviewQueryOutcome> {
  const marks: Mutable<QueryMarks> = { startedAt };
  const context = Context.current();
  const workflow = context.client.workflow.getHandle(input.workflowId);
  const report = (progress: PreviewProgress): Promise<void> => workflow.signal(progressSignal, { ...progress, attempt: context.info.attempt });
  const previous = context.info.heartbeatDetails as QueryHeartbeat | undefined;
  const beat: QueryHeartbeat = { tally: { rows: 0, bytes: 0, truncated: false } };
  const { gateway } = endpoints;
  try {
    // Closing the crashed attempt's session cancels its job, which frees the slot for this attempt's.
    if (previous?.session) await gateway.closeSession(previous.session);
    return await withHeartbeat(async () => {
      beat.session = await gateway.openSession({
        'execution.runtime-mode': 'streaming', 'parallelism.default': '1', 'pipeline.name': input.workflowId,
      }, input.workflowId);
      await report({ session: beat.session });
      for (const statement of input.setup) await runToEnd(gateway, beat.session, statement);
      marks.sessionReadyAt = Date.now();
      return { ...await pageQuery(endpoints, input, beat, report, marks), marks };
    }, () => beat, 2_000);
  } catch (error) {
    throw classifyFlinkError(error);
  }
}

async function pageQuery(
  endpoints: PreviewEndpoints, input: PreviewQueryInput, beat: QueryHeartbeat, report: (p: PreviewProgress) => Promise<void>, marks: Mutable<QueryMarks>,
): Promise<PreviewQueryOutcome> {
  const { gateway, rest } = endpoints;
  const session = beat.session as string;
  const operation = await gateway.executeStatement(session, input.query);
  const deadline = AbortSignal.timeout(Math.max(0, input.deadline - Date.now()));
  const stop = AbortSignal.any([deadline, Context.current().cancellationSignal]);
  const lookup = new AbortController();
  let jobId: string | undefined;
  let located: Promise<void> | undefined;
  // Kept, not left to reject on its own: a rejection nobody awaits yet (the loop is still paging)
  // kills the worker process. Seen with the Temporal server down: the TaskManagers' report failed.
  let locateFailure: unknown;
  let ended = false;
  let outcome: PreviewQueryOutcome;
  try {
    for await (const page of gateway.results(session, operation, { signal: stop, pollIntervalMs: PAGE_POLL_MS })) {
      if (page.jobId && !jobId) {
        marks.jobIdAt = Date.now();
        jobId = page.jobId;
        await report({ jobId });
        // Told to the workflow as soon as known, so that a crash after this point still frees them.
        located = locateJob(rest, jobId, AbortSignal.any([stop, lookup.signal])).then(async (ids) => {
          if (ids.length > 0) await report({ taskManagerIds: ids });
        }).catch((error: unknown) => {
          locateFailure = error;
        });
      }
      const offset = beat.tally.rows;
      const { admitted, tally } = admitRows(beat.tally, page.rows, input);
      beat.tally = tally;
      if (admitted.length > 0) marks.firstRowAt ??= Date.now();
      if (admitted.length > 0 || columnsOf(page)) await report({ columns: columnsOf(page), rows: admitted, offset });
      ended = page.resultType === 'EOS';
      if (ended || budgetSpent(beat.tally, input)) break;
    }
    if (!ended && !budgetSpent(beat.tally, input) && !deadline.aborted) throw Context.current().cancellationSignal.reason ?? new Error('cancelled');
    // Where the job ran, asked while it still runs.
    const taskManagerIds = jobId ? await taskManagersOfJob(rest, jobId) : [];
    outcome = { stoppedBecause: ended ? 'end-of-data' : budgetSpent(beat.tally, input) ? 'row-limit' : 'timeout', jobId, taskManagerIds };
  } finally {
    // The query is left running: stopPreview kills its TaskManagers first and cancels it after, so
    // that no slot of a used TaskManager is ever free for another tenant's job.
    lookup.abort();
    await located;
  }
  // A report that failed fails the attempt, as one made in the loop does: the retry reports again.
  if (locateFailure !== undefined) throw locateFailure;
  return outcome;
}

/** Polls until the job's subtasks are scheduled on some TaskManager; empty if the query stops first. */
async function locateJob(rest: FlinkRestClient, jobId: string, stop: AbortSignal): Promise<string[]> {
  while (!stop.aborted) {
    const ids = await taskManagersOfJob(rest, jobId).catch(() => []);
    if (ids.length > 0) return ids;
    await new Promise((resolve) => setTimeout(resolve, TASK_MANAGER_POLL_MS));
  }
  return [];
}
