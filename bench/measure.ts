import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { FlinkRestClient } from '../activities/flink/rest-client';
import type { SqlGatewayClient } from '../activities/flink/sql-gateway-client';
import { clusterName } from '../activities/names';
import { taskManagersOfJob } from '../activities/preview/job-location';
import { clusterLayout } from '../activities/runtime/local/layout';
import type { LocalRuntime } from '../activities/runtime/local/local-runtime';
import { readPid } from '../activities/runtime/local/processes';
import { waitUntil } from '../activities/runtime/local/wait';
import type { FleetClient } from '../client/fleet-client';
import { FLEET_TENANT, poolWorkflowId, releaseSignal } from '../workflows/pool/api';
import { rowsQuery, type PreviewResult } from '../workflows/preview/api';
import { previewMarks, type RunMarks } from './phases';
import { rssMb } from './worker-process';

/** A pool and its session cluster's REST API and gateway, on whichever runtime: what a first row is timed on. */
export interface PoolBench {
  readonly fleet: FleetClient;
  readonly pool: string;
  readonly rest: FlinkRestClient;
  readonly gateway: SqlGatewayClient;
  readonly log: (line: string) => void;
}

/** One way of getting a first row, timed; the pieces run.ts strings together. */
export interface BenchContext extends PoolBench {
  readonly runtime: LocalRuntime;
}

/** A fixed-rate source: the first row is due 10 ms after the source starts. */
export const TABLE = "CREATE TEMPORARY TABLE numbers (n BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '100')";
export const QUERY = 'SELECT n FROM numbers';
const POLL_MS = 25;

/** Until the pool has `target` idle TaskManagers and nothing else going on, so runs do not overlap. */
export async function settled(ctx: PoolBench, target: number): Promise<void> {
  await waitUntil(`pool ${ctx.pool} to settle at ${target}`, async () => {
    const s = await ctx.fleet.poolStats(ctx.pool);
    return s.idle === target && s.starting === 0 && s.busy === 0 && s.waiting === 0 ? true : undefined;
  }, { timeoutMs: 180_000, intervalMs: 100 });
}

async function runToEnd(gateway: SqlGatewayClient, session: string, statement: string): Promise<void> {
  const operation = await gateway.executeStatement(session, statement);
  for await (const page of gateway.results(session, operation, { pollIntervalMs: POLL_MS })) void page;
  await gateway.closeOperation(session, operation);
}

/**
 * The SQL Gateway alone, as a preview's activity drives it (same poll interval): open a session,
 * create the table, submit the SELECT, stop at the first row. `whileRunning` sees the job before
 * it is cancelled. The marks are the breakdown's: session and DDL, job id, first row.
 */
export async function gatewayFirstRow<T>(gateway: SqlGatewayClient, whileRunning: (jobId: string) => Promise<T>): Promise<{ ms: number; seen: T; jobId: string; marks: RunMarks }> {
  const started = performance.now();
  const calledAt = Date.now();
  const session = await gateway.openSession({ 'execution.runtime-mode': 'streaming', 'parallelism.default': '1', 'pipeline.name': 'bench/raw' });
  try {
    await runToEnd(gateway, session, TABLE);
    const sessionReadyAt = Date.now();
    const operation = await gateway.executeStatement(session, QUERY);
    let jobIdAt: number | undefined;
    for await (const page of gateway.results(session, operation, { pollIntervalMs: POLL_MS })) {
      if (page.jobId) jobIdAt ??= Date.now();
      if (page.rows.length === 0 || !page.jobId) continue;
      const ms = performance.now() - started;
      const marks: RunMarks = { calledAt, queryStartedAt: calledAt, sessionReadyAt, jobIdAt, gatewayFirstRowAt: Date.now() };
      const seen = await whileRunning(page.jobId);
      await gateway.closeOperation(session, operation);
      return { ms, seen, jobId: page.jobId, marks };
    }
    throw new Error('the query ended without a row');
  } finally {
    await gateway.closeSession(session);
  }
}

/** The raw gateway's first row on the pool's session cluster, and the TaskManagers its job took. */
export async function rawFirstRow(ctx: PoolBench): Promise<{ ms: number; taskManagerIds: string[]; jobId: string; marks: RunMarks }> {
  const { ms, seen, jobId, marks } = await gatewayFirstRow(ctx.gateway, (id) => taskManagersOfJob(ctx.rest, id));
  return { ms, taskManagerIds: seen, jobId, marks };
}

/** A raw run used pool TaskManagers without claiming them: the pool's `release` kills and replaces them. */
export async function retire(ctx: PoolBench, taskManagerIds: string[]): Promise<void> {
  await ctx.fleet.temporal.workflow.getHandle(poolWorkflowId(ctx.pool)).signal(releaseSignal, { claimId: `bench-${randomUUID()}`, taskManagerIds });
}

/** How a preview's rows reach its caller: `FleetClient.preview`'s own long-poll, or the `rows` query asked every 50 ms as clients did before it. */
export type RowsReading = 'long-poll' | 'query-poll';
const QUERY_POLL_MS = 50;

/** The first row through the `rows` query polled every 50 ms: the client's way before the `nextRows` Update, kept as the bench's baseline. */
async function firstRowByQueryPoll(ctx: PoolBench, workflowId: string, started: number): Promise<number | undefined> {
  const handle = ctx.fleet.temporal.workflow.getHandle(workflowId);
  let first: number | undefined;
  for (let offset = 0; ;) {
    const page = await handle.query(rowsQuery, offset).catch(() => undefined);
    if (!page) return first;
    if (page.rows.length > 0) first ??= performance.now() - started;
    offset = page.next;
    if (page.done) return first;
    await new Promise((resolve) => setTimeout(resolve, QUERY_POLL_MS));
  }
}

/** A preview as a caller sees it: from the call to its first row; and the events its history holds at the end. */
export async function previewFirstRow(ctx: PoolBench, reading: RowsReading = 'long-poll'): Promise<{ ms: number; result: PreviewResult; historyEvents: number; marks: RunMarks; workflowId: string }> {
  const started = performance.now();
  const calledAt = Date.now();
  const stream = await ctx.fleet.preview('bench', `${TABLE};\n${QUERY}`, { pool: ctx.pool });
  let first: number | undefined;
  if (reading === 'query-poll') first = await firstRowByQueryPoll(ctx, stream.workflowId, started);
  else {
    for await (const row of stream) {
      void row;
      first ??= performance.now() - started;
    }
  }
  // As an instant of the wall clock the workflow and Flink report on, from the monotonic time measured.
  const callerFirstRowAt = first === undefined ? undefined : calledAt + first;
  const result = await stream.result();
  if (first === undefined) throw new Error(`the preview gave no row: ${result.stoppedBecause} ${result.error ?? ''}`);
  const { historyLength } = await ctx.fleet.temporal.workflow.getHandle(stream.workflowId).describe();
  return { ms: first, result, historyEvents: historyLength, marks: previewMarks(calledAt, callerFirstRowAt, result.timings), workflowId: stream.workflowId };
}

/** Resident memory of each pool TaskManager JVM (the launcher execs the JVM in place, so its pid is the JVM's). */
export function taskManagerRssMb(ctx: BenchContext, ids: readonly string[]): number[] {
  const dir = clusterLayout(ctx.runtime.stateDir, clusterName(FLEET_TENANT, ctx.pool)).dir;
  return ids.flatMap((id) => {
    const pid = readPid(dir, id);
    const mb = pid === undefined ? undefined : rssMb(pid);
    return mb === undefined ? [] : [mb];
  });
}
