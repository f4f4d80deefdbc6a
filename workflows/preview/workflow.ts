import {
  ActivityFailure, ApplicationFailure, CancellationScope, allHandlersFinished, condition, getExternalWorkflowHandle, isCancellation,
  proxyActivities, setHandler, sleep, upsertSearchAttributes, uuid4, workflowInfo,
} from '@temporalio/workflow';
import type { RetryPolicy } from '@temporalio/common';
import type { createPreviewActivities } from '../../activities/preview/activities';
import type { createSqlInspectorActivities } from '../../activities/sql-inspector/activities';
import { poolWorkflowId, releaseSignal, sessionClusterRef } from '../pool/api';
import { recordPreviewFirstRow } from '../metrics';
import { FleetJobState, FleetKind, FleetTenant } from '../search-attributes';
import {
  nextRowsUpdate, progressSignal, rowsQuery, type PreviewColumn, type PreviewProgress, type PreviewResult, type PreviewRow, type RowsPage, type StoppedBecause,
} from './api';
import { InvalidPreviewError, previewScriptFrom, type PreviewScript } from './policy';
import { parsePreviewRequest, type PreviewRequest, type PreviewRequestInput } from './request';
import { admitRows, type RowTally } from './rows';
import { previewPhases, type QueryMarks } from './timings';

type Activities = ReturnType<typeof createPreviewActivities> & ReturnType<typeof createSqlInspectorActivities>;

const NON_RETRYABLE = ['InvalidSql', 'InvalidPreview', 'PoolExhausted', 'PoolNotRunning', 'ClusterNotFound', 'FlinkJobFailed'];
const retry: RetryPolicy = { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '5 seconds', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE };
// The claim heartbeats while it waits for a TaskManager: a worker that dies mid-claim costs seconds, not the preview.
const { claimTaskManager } = proxyActivities<Activities>({ startToCloseTimeout: '11 minutes', heartbeatTimeout: '15 seconds', retry });
// A short heartbeat timeout: a crashed worker's query is retried (on another worker) within seconds.
const { runPreviewQuery } = proxyActivities<Activities>({ startToCloseTimeout: '11 minutes', heartbeatTimeout: '10 seconds', retry: { ...retry, maximumAttempts: 3 } });
const { stopPreview } = proxyActivities<Activities>({ startToCloseTimeout: '1 minute', retry: { ...retry, maximumAttempts: 10 } });
// The first inspection of a worker starts its JVM (seconds); later ones take milliseconds.
const { inspectSql } = proxyActivities<Activities>({ startToCloseTimeout: '3 minutes', heartbeatTimeout: '15 seconds', retry: { ...retry, maximumAttempts: 3 } });

/** What the workflow has heard so far; the `rows` query reads it. */
interface PreviewRun {
  readonly request: PreviewRequest;
  readonly startedAt: number;
  columns: PreviewColumn[];
  readonly rows: PreviewRow[];
  tally: RowTally;
  readonly sessions: string[];
  readonly jobIds: string[];
  readonly taskManagerIds: Set<string>;
  /** The query attempt whose rows are being shown. */
  attempt: number;
  claimMs?: number;
  claimHit?: boolean;
  firstRowMs?: number;
  inspectedAt?: number;
  marks?: QueryMarks;
  /** No row is admitted any more: the query ended, or the preview failed or timed out. */
  done: boolean;
}

function validate(input: PreviewRequestInput): PreviewRequest {
  try {
    return parsePreviewRequest(input);
  } catch (error) {
    if (error instanceof InvalidPreviewError) throw ApplicationFailure.nonRetryable(error.message, 'InvalidPreview');
    throw error;
  }
}

/**
 * Flink's own parser and planner say what the script is (the inspector activity); the policy judges
 * that answer. Before anything is claimed, so a refused preview leaves nothing behind.
 */
async function inspect(request: PreviewRequest): Promise<PreviewScript> {
  try {
    return previewScriptFrom(await inspectSql({ script: request.sql }));
  } catch (error) {
    if (error instanceof InvalidPreviewError) throw ApplicationFailure.nonRetryable(`request.sql: ${error.message}`, 'InvalidPreview');
    // A script that keeps Flink's planner busy past its budget is refused as such.
    if (error instanceof ActivityFailure && error.cause instanceof ApplicationFailure && error.cause.type === 'InvalidSql') {
      throw ApplicationFailure.nonRetryable(`request.sql: ${error.cause.message}`, 'InvalidPreview');
    }
    throw error;
  }
}

function absorb(run: PreviewRun, progress: PreviewProgress): void {
  if (progress.session && !run.sessions.includes(progress.session)) run.sessions.push(progress.session);
  if (progress.jobId && !run.jobIds.includes(progress.jobId)) run.jobIds.push(progress.jobId);
  for (const id of progress.taskManagerIds ?? []) run.taskManagerIds.add(id);
  if (progress.columns) run.columns = progress.columns;
  // A late page of a query cancelled at the timeout: a caller told `done` must have seen every row.
  if (run.done) return;
  const { admitted, tally } = admitRows(run.tally, freshRows(run, progress), { maxRows: run.request.maxRows, maxBytes: run.request.maxResultBytes });
  run.tally = tally;
  run.rows.push(...admitted);
  if (admitted.length > 0) run.firstRowMs ??= Date.now() - run.startedAt;
}

/**
 * The rows of `progress` not shown yet. A query retried after a crash or an outage reads its result
 * again from the start: the rows at positions already shown are dropped, so the caller sees each
 * position once. A late page of an attempt that was given up on is dropped whole.
 */
function freshRows(run: PreviewRun, progress: PreviewProgress): PreviewRow[] {
  const attempt = progress.attempt ?? run.attempt;
  if (!progress.rows || attempt < run.attempt) return [];
  run.attempt = attempt;
  return progress.rows.slice(Math.max(0, run.rows.length - (progress.offset ?? run.rows.length)));
}

function checkOffset(offset: unknown): void {
  if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0) throw new RangeError(`nextRows takes a row offset, a whole number from 0, not ${String(offset)}`);
}

function rowsFrom(run: PreviewRun, offset: number): RowsPage {
  const from = Number.isInteger(offset) && offset > 0 ? offset : 0;
  return { columns: run.columns, rows: run.rows.slice(from), next: run.rows.length, done: run.done, truncated: run.tally.truncated };
}

function messageOf(error: unknown): string {
  const cause = error instanceof ActivityFailure && error.cause ? error.cause : error;
  return cause instanceof Error ? cause.message : String(cause);
}

/**
 * Runs a tenant's SELECT for at most `timeoutSeconds` on a TaskManager of the pool that runs only
 * this job: claim → run and stream rows → stop → kill the TaskManagers the job ran on (through the
 * pool's `release`), the last two on every way out and beyond cancellation.
 */
export async function preview(input: PreviewRequestInput): Promise<PreviewResult> {
  const request = validate(input);
  const { workflowId } = workflowInfo();
  const run: PreviewRun = {
    request, startedAt: Date.now(), columns: [], rows: [], tally: { rows: 0, bytes: 0, truncated: false },
    sessions: [], jobIds: [], taskManagerIds: new Set(), attempt: 1, done: false,
  };
  setHandler(rowsQuery, (offset) => rowsFrom(run, offset));
  // No timer: the preview's own timeout ends the wait (`done`), so the Update costs no timer events.
  setHandler(nextRowsUpdate, async (offset) => {
    await condition(() => run.rows.length > offset || run.done);
    return rowsFrom(run, offset);
  }, { validator: checkOffset });
  setHandler(progressSignal, (progress) => absorb(run, progress));
  const script = await inspect(request).catch((refusal: unknown) => {
    // A `rows` query answered from the failed workflow's history must say there is nothing more.
    run.done = true;
    throw refusal;
  });
  run.inspectedAt = Date.now();
  upsertSearchAttributes([{ key: FleetTenant, value: request.tenant }, { key: FleetKind, value: 'preview' }, { key: FleetJobState, value: 'Running' }]);
  const claimId = uuid4();
  let error: string | undefined;
  let stoppedBecause: StoppedBecause;
  try {
    stoppedBecause = await withinTimeout(run, () => claimAndQuery(run, script, claimId, workflowId));
  } catch (failure) {
    stoppedBecause = isCancellation(failure) ? 'cancelled' : 'error';
    if (stoppedBecause === 'error') error = messageOf(failure);
  }
  // The rows are final now: a waiting caller is released before the cleanup, not after it.
  run.done = true;
  await CancellationScope.nonCancellable(() => stopAndRelease(run, claimId, workflowId));
  upsertSearchAttributes([{ key: FleetJobState, value: stoppedBecause }]);
  if (run.firstRowMs !== undefined) recordPreviewFirstRow(request.tenant, run.firstRowMs);
  await condition(allHandlersFinished);
  return {
    columns: run.columns, rows: run.rows, stoppedBecause, truncated: run.tally.truncated, error,
    timings: { claimMs: run.claimMs, claimHit: run.claimHit, firstRowMs: run.firstRowMs, totalMs: Date.now() - run.startedAt,
      phases: previewPhases(run.startedAt, run.inspectedAt, run.marks),
    },
    taskManagerIds: [...run.taskManagerIds].sort(),
  };
}

/**
 * The workflow's own timer bounds the preview: it fires even when no worker was up at the time,
 * and then the work (whatever it is doing) is cancelled.
 */
async function withinTimeout(run: PreviewRun, work: () => Promise<StoppedBecause>): Promise<StoppedBecause> {
  const workScope = new CancellationScope();
  const timerScope = new CancellationScope();
  const working = workScope.run(work);
  const timer = timerScope.run(() => sleep(run.startedAt + run.request.timeoutSeconds * 1_000 - Date.now())).then(() => 'timeout' as const);
  // The loser of the race rejects once cancelled; nobody waits for it, so its rejection is dropped here.
  working.catch(() => undefined);
  timer.catch(() => undefined);
  try {
    return await Promise.race([working, timer]);
  } finally {
    workScope.cancel();
    timerScope.cancel();
  }
}

async function claimAndQuery(run: PreviewRun, script: PreviewScript, claimId: string, workflowId: string): Promise<StoppedBecause> {
  const { request } = run;
  const deadline = run.startedAt + request.timeoutSeconds * 1_000;
  const grant = await claimTaskManager({ poolWorkflowId: poolWorkflowId(request.pool), claimId, previewWorkflowId: workflowId, timeoutMs: deadline - Date.now() });
  run.claimMs = Date.now() - run.startedAt;
  run.claimHit = grant.hit;
  const outcome = await runPreviewQuery({
    ...sessionClusterRef(request.pool), workflowId, setup: script.setup, query: script.query,
    maxRows: request.maxRows, maxBytes: request.maxResultBytes, deadline,
  });
  for (const id of outcome.taskManagerIds) run.taskManagerIds.add(id);
  run.marks = outcome.marks;
  return outcome.stoppedBecause;
}

async function stopAndRelease(run: PreviewRun, claimId: string, workflowId: string): Promise<void> {
  const { pool } = run.request;
  if (run.claimMs !== undefined || run.sessions.length > 0) {
    // If even this fails, the pool's reconcile finds the job by its name once this workflow has ended.
    const ranOn = await stopPreview({
      ...sessionClusterRef(pool), workflowId, sessions: run.sessions, jobIds: run.jobIds, poolWorkflowId: poolWorkflowId(pool), claimId, taskManagerIds: [...run.taskManagerIds],
    }).catch(() => []);
    for (const id of ranOn) run.taskManagerIds.add(id);
  }
  // Also after a failed claim (the pool may have granted it before the failure reached us) or a failed
  // stop; after stopPreview released the claim, this second release changes nothing.
  await getExternalWorkflowHandle(poolWorkflowId(pool)).signal(releaseSignal, { claimId, taskManagerIds: [...run.taskManagerIds] })
    .catch(() => undefined);
}
