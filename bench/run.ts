import { availableParallelism, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { FlinkRestClient } from '../activities/flink/rest-client';
import { SqlGatewayClient } from '../activities/flink/sql-gateway-client';
import type { LocalRuntime } from '../activities/runtime/local/local-runtime';
import type { FleetClient } from '../client/fleet-client';
import { liveProcesses } from '../test/harness/processes';
import { createFleetWorker } from '../worker/fleet-worker';
import { sessionClusterRef } from '../workflows/pool/api';
import { parsePoolConfig } from '../workflows/pool/config';
import { hostMaxTarget } from '../workflows/pool/sizing';
import { waitUntil } from '../activities/runtime/local/wait';
import { jobStartMarks } from './job-start';
import { previewFirstRow, rawFirstRow, retire, settled, taskManagerRssMb, type BenchContext, type RowsReading } from './measure';
import { burstWarmUp, parseBenchOptions, secondsLeft, type BenchOptions } from './options';
import type { RunMarks } from './phases';
import { RAW_BESIDE_START, renderResults, type BenchFigures, type BurstVariant, type ConcurrencyFigures, type Series } from './report';
import { writeSection } from './results-file';
import { withBenchStack } from './stack';

/**
 * `npm run bench`: raw SQL Gateway vs warm and cold previews, where a warm preview's time goes against
 * raw, bursts and the memory of an idle TaskManager, on its own Temporal dev server and session
 * cluster, all removed at the end. Sizes from the command line (bench/options.ts).
 */
const TASK_MANAGER_MB = 1024;
const log = (line: string): void => {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};

/** The bench's context, with the JobManager's address for the job's own start times. */
interface RunContext extends BenchContext {
  readonly restUrl: string;
  readonly options: BenchOptions;
}

/** One run's first row, and where its time went when the series keeps that. */
interface Timed {
  readonly ms: number;
  readonly marks?: RunMarks;
}

async function series(ctx: RunContext, name: string, what: string, run: () => Promise<Timed>, marks: RunMarks[] = []): Promise<Series> {
  const { runs } = ctx.options;
  const firstRowMs: number[] = [];
  const started = performance.now();
  for (let i = 0; i < runs; i++) {
    const timed = await run();
    firstRowMs.push(timed.ms);
    if (timed.marks) marks.push(timed.marks);
    const elapsedMs = performance.now() - started;
    log(`${name} ${i + 1}/${runs}: ${Math.round(timed.ms)} ms; ${i + 1 < runs ? `this series about ${secondsLeft(elapsedMs, i + 1, runs)} s more` : `series done in ${Math.round(elapsedMs / 1000)} s`}`);
  }
  return { name, what, firstRowMs };
}

/** The marks with the job's own start added, as the JobManager recorded it; without them if it cannot say. */
async function withJobStart(ctx: RunContext, marks: RunMarks, jobId: string | undefined): Promise<RunMarks> {
  if (!jobId) return marks;
  return { ...marks, ...await jobStartMarks(ctx.restUrl, jobId).catch((error: unknown) => {
    log(`no job start times for ${jobId}: ${error instanceof Error ? error.message : String(error)}`);
    return {};
  }) };
}

async function rawRun(ctx: RunContext): Promise<Timed> {
  await settled(ctx, 1);
  const { ms, taskManagerIds, jobId, marks } = await rawFirstRow(ctx);
  await retire(ctx, taskManagerIds);
  return { ms, marks: await withJobStart(ctx, marks, jobId) };
}

/**
 * Raw, while the pool starts one more TaskManager on the same host: what a warm preview has beside it,
 * since its claim makes the pool start a replacement at once. The resize to 2 starts it just before
 * the session opens, as a grant does.
 */
async function rawBesideStartRun(ctx: RunContext): Promise<Timed> {
  await settled(ctx, 1);
  await ctx.fleet.resizePool(2, ctx.pool);
  const { ms, taskManagerIds } = await rawFirstRow(ctx);
  await ctx.fleet.resizePool(1, ctx.pool);
  await retire(ctx, taskManagerIds);
  return { ms };
}

/** What a pool that warmed each TaskManager with a job of its own would give: the second job's first row. */
async function rawSecondJobRun(ctx: BenchContext): Promise<Timed> {
  await settled(ctx, 1);
  const first = await rawFirstRow(ctx);
  // Closing the first query cancels its job a moment later; on a loaded machine the second would otherwise find no slot.
  await waitUntil('the first job\'s slot to be free', async () => ((await ctx.rest.taskManagers())
    .some((t) => first.taskManagerIds.includes(t.id) && t.freeSlots === t.slotsNumber) ? true : undefined), { timeoutMs: 120_000, intervalMs: 100 });
  const second = await rawFirstRow(ctx);
  await retire(ctx, [...first.taskManagerIds, ...second.taskManagerIds]);
  return { ms: second.ms };
}

async function previewRun(ctx: RunContext, target: number, reading: RowsReading = 'long-poll', historyEvents: number[] = []): Promise<Timed> {
  await settled(ctx, target);
  const { ms, historyEvents: events, marks, workflowId } = await previewFirstRow(ctx, reading);
  historyEvents.push(events);
  // The preview's job is named after its workflow (the session's pipeline.name).
  const job = (await ctx.rest.jobs()).find((j) => j.name === workflowId);
  return { ms, marks: await withJobStart(ctx, marks, job?.id) };
}

/**
 * A burst on a pool of its own, started at the defaults with autoSize (and the variant's maxTarget):
 * how well a pool that sizes itself keeps up. Which claims were hits comes from each preview's own
 * result, in the order the previews started.
 */
async function burst(ctx: RunContext, variant: BurstVariant): Promise<Omit<ConcurrencyFigures, 'leftRunning'>> {
  const { burstPreviews: previews, burstCallers: callers } = ctx.options;
  const warmUp = burstWarmUp(previews);
  const pool = `${ctx.pool}-burst-${variant.key}`;
  const capped = variant.maxTarget === undefined ? {} : { maxTarget: variant.maxTarget, target: Math.min(2, variant.maxTarget) };
  // The defaults the workflow itself applies, so the report can name the ceiling it had.
  const config = parsePoolConfig({ sessionCluster: pool, autoSize: {}, taskManager: { cpu: 1, memoryMb: TASK_MANAGER_MB }, ...capped });
  await ctx.fleet.startPool(config);
  const burstCtx: RunContext = { ...ctx, pool };
  await settled(burstCtx, config.target);
  const before = await ctx.fleet.poolStats(pool);
  let highestTarget = before.target;
  // One look at a time, awaited before the client closes: a look still retrying then would throw on a closed channel.
  let looking = Promise.resolve();
  const watch = setInterval(() => {
    looking = looking.then(() => ctx.fleet.poolStats(pool).then((s) => {
      highestTarget = Math.max(highestTarget, s.target);
    }, () => undefined));
  }, 500);
  const started = performance.now();
  let next = 0;
  const runs: { index: number; ms: number; hit?: boolean; stoppedBecause: string }[] = [];
  const failures: string[] = [];
  await Promise.all(Array.from({ length: callers }, async () => {
    while (next < previews) {
      const index = next++;
      // A failed preview is a figure of the burst, not the end of the bench.
      await previewFirstRow(burstCtx, variant.reading).then(
        ({ ms, result }) => runs.push({ index, ms, hit: result.timings.claimHit, stoppedBecause: result.stoppedBecause }),
        (error: unknown) => failures.push(`#${index}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`),
      );
      const done = runs.length + failures.length;
      if (done % Math.max(1, Math.floor(previews / 4)) === 0 && done < previews) log(`burst ${variant.key}: ${done}/${previews}; this burst about ${secondsLeft(performance.now() - started, done, previews)} s more`);
    }
  }));
  const wallMs = performance.now() - started;
  clearInterval(watch);
  await looking;
  // Right after the burst the worker may still be too busy to answer a query in time.
  const after = await waitUntil(`pool ${pool}'s stats`, () => ctx.fleet.poolStats(pool).catch(() => undefined), { timeoutMs: 120_000, intervalMs: 1_000 });
  await ctx.fleet.stopPool(pool);
  const later = runs.filter((r) => r.index >= warmUp);
  const stoppedBecause: Record<string, number> = {};
  for (const r of runs) stoppedBecause[r.stoppedBecause] = (stoppedBecause[r.stoppedBecause] ?? 0) + 1;
  log(`burst ${variant.key}: ${runs.length} previews in ${Math.round(wallMs)} ms, hits ${after.hits - before.hits}, misses ${after.misses - before.misses}, target up to ${highestTarget}`);
  return {
    variant, previews, callers, target: before.target, highestTarget, maxTarget: config.maxTarget,
    servedIdleAfter: { first: warmUp, hits: later.filter((r) => r.hit === true).length, of: later.length },
    finished: runs.length, failures, stoppedBecause, firstRowMs: runs.map((r) => r.ms), wallMs,
    hits: after.hits - before.hits, misses: after.misses - before.misses, claimWaitP50Ms: after.claimWaitP50Ms, claimWaitP95Ms: after.claimWaitP95Ms,
  };
}

/** The issue's baseline (50 ms query polls, the default ceiling of 8), then each lever added. */
const BURSTS: readonly BurstVariant[] = [
  { key: 'baseline', label: 'rows by a 50 ms query poll, maxTarget at its default', reading: 'query-poll' },
  { key: 'long-poll', label: 'rows by the nextRows long-poll, maxTarget at its default', reading: 'long-poll' },
  { key: 'capped', label: 'rows by the nextRows long-poll, maxTarget one per core', reading: 'long-poll', maxTarget: hostMaxTarget(availableParallelism(), 1) },
];

async function measure(ctx: RunContext): Promise<Omit<BenchFigures, 'date' | 'machine' | 'bursts'> & { bursts: Omit<ConcurrencyFigures, 'leftRunning'>[] }> {
  await settled(ctx, 1);
  // The gateway's and JobManager's own first statements load classes for seconds: not what is measured.
  for (let i = 0; i < 2; i++) await previewRun(ctx, 1);
  const marks = { raw: [] as RunMarks[], warm: [] as RunMarks[] };
  const raw = await series(ctx, 'raw', 'SQL Gateway alone, on a fresh TaskManager', () => rawRun(ctx), marks.raw);
  const rawBesideStart = await series(ctx, RAW_BESIDE_START, 'SQL Gateway alone, on a fresh TaskManager, while the pool starts another', () => rawBesideStartRun(ctx));
  const historyEvents = { warm: [] as number[], polled: [] as number[] };
  const warm = await series(ctx, 'warm', '`FleetClient.preview` (rows by the `nextRows` long-poll), an idle TaskManager waiting', () => previewRun(ctx, 1, 'long-poll', historyEvents.warm), marks.warm);
  const polled = await series(ctx, 'warm, query poll', 'the same, rows by the `rows` query every 50 ms (the client before the long-poll)', () => previewRun(ctx, 1, 'query-poll', historyEvents.polled));
  const rawSecond = await series(ctx, 'raw, 2nd job', 'SQL Gateway alone, on a TaskManager that ran one job', () => rawSecondJobRun(ctx));
  await ctx.fleet.resizePool(0, ctx.pool);
  const cold = await series(ctx, 'cold', '`FleetClient.preview`, pool target 0', () => previewRun(ctx, 0));
  await ctx.fleet.resizePool(2, ctx.pool);
  await settled(ctx, 2);
  const idleTaskManagerRssMb = taskManagerRssMb(ctx, (await ctx.fleet.poolStats(ctx.pool)).readyTaskManagers);
  // The burst's pool has the machine to itself.
  await ctx.fleet.resizePool(0, ctx.pool);
  await settled(ctx, 0);
  const bursts: Omit<ConcurrencyFigures, 'leftRunning'>[] = [];
  for (const key of ctx.options.bursts) {
    const variant = BURSTS.find((b) => b.key === key) as BurstVariant;
    log(`burst ${key}: ${ctx.options.burstPreviews} previews from ${ctx.options.burstCallers} callers`);
    bursts.push(await burst(ctx, variant));
  }
  return {
    series: [raw, rawBesideStart, warm, polled, rawSecond, cold], bursts, marks, idleTaskManagerRssMb, taskManagerMemoryMb: TASK_MANAGER_MB,
    historyEvents: [{ name: 'warm', events: historyEvents.warm }, { name: 'warm, query poll', events: historyEvents.polled }],
  };
}

async function main(): Promise<void> {
  const options = parseBenchOptions(process.argv.slice(2));
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const pool = 'bench';
  await withBenchStack('bench', 'bench', async ({ server, runtime, codecKeys, fleet }) => {
    const connection = await NativeConnection.connect({ address: server.address });
    const worker = await createFleetWorker({ connection, namespace: 'default', taskQueue: 'bench', runtime, codecKeys });
    const figures = await worker.runUntil(async () => {
      const endpoints = await waitForSessionCluster(runtime, fleet, pool);
      const ctx: RunContext = {
        fleet, runtime, pool, log, rest: new FlinkRestClient(endpoints.restUrl), gateway: new SqlGatewayClient(endpoints.gatewayUrl), restUrl: endpoints.restUrl, options,
      };
      const measured = await measure(ctx);
      await fleet.stopPool(pool);
      return measured;
    });
    await connection.close();
    const leftRunning = liveProcesses('run').length;
    writeSection(join(__dirname, 'RESULTS.md'), 'previews', renderResults({
      ...figures, bursts: figures.bursts.map((b) => ({ ...b, leftRunning })),
      date: new Date().toISOString().slice(0, 10), machine: `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GB`,
    }, options.notes));
    log(`wrote ${join(__dirname, 'RESULTS.md')}`);
  });
}

/** startPool returns before the pool has deployed its cluster; the bench needs the endpoints for raw runs. */
async function waitForSessionCluster(runtime: LocalRuntime, fleet: FleetClient, pool: string): Promise<{ restUrl: string; gatewayUrl: string }> {
  await fleet.startPool({ sessionCluster: pool, target: 1, maxTarget: 4, taskManager: { cpu: 1, memoryMb: TASK_MANAGER_MB } });
  for (;;) {
    const observed = await runtime.observe(sessionClusterRef(pool));
    if (observed.health === 'running' && observed.endpoints?.gatewayUrl) return { restUrl: observed.endpoints.restUrl, gatewayUrl: observed.endpoints.gatewayUrl };
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
