import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { stopProcess } from '../activities/runtime/local/processes';
import { waitUntil } from '../activities/runtime/local/wait';
import type { FleetClient } from '../client/fleet-client';
import { liveProcesses } from '../test/harness/processes';
import { DATAGEN_TO_BLACKHOLE } from '../test/pipeline/fixtures';
import { pipelineWorkflowId } from '../workflows/pipeline/spec';
import { renderSoak, type SoakFigures, type SoakPhase } from './soak-report';
import { writeSection } from './results-file';
import { withBenchStack } from './stack';
import { rssMb, startWorkerProcess } from './worker-process';
import { TABLE, QUERY } from './measure';

/**
 * `npm run bench:soak`: many pipeline start/stop cycles, then many previews, from concurrent callers
 * against one worker process on its own Temporal dev server; records failures, leaks, history events
 * per workflow, the worker's RSS over time and the pool's claim waits, into bench/RESULTS.md.
 */
const { values: args } = parseArgs({
  options: {
    pipelines: { type: 'string', default: '200' },
    previews: { type: 'string', default: '1000' },
    callers: { type: 'string', default: '4' },
    'pool-target': { type: 'string', default: '2' },
    // On a shared machine a full run can outlast the time there is: each phase then stops taking
    // new work when its budget runs out, finishes what it began, and the report says so.
    'pipeline-minutes': { type: 'string' },
    'preview-minutes': { type: 'string' },
  },
});
const PIPELINES = Number(args.pipelines);
const PREVIEWS = Number(args.previews);
const CALLERS = Number(args.callers);
const POOL_TARGET = Number(args['pool-target']);
const minutes = (value: string | undefined): number | undefined => (value === undefined ? undefined : Number(value));
const PIPELINE_MINUTES = minutes(args['pipeline-minutes']);
const PREVIEW_MINUTES = minutes(args['preview-minutes']);
const TASK_QUEUE = 'soak';
const POOL = 'soak';
const RSS_SAMPLE_MS = 5_000;

const log = (line: string): void => {
  process.stderr.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};

interface CallerRun<T> {
  readonly results: T[];
  readonly failures: string[];
  readonly wallS: number;
}

/**
 * Runs `work(i)` for i in [0, count) from `callers` concurrent loops, taking no new i once
 * `budgetMinutes` have passed; failures are collected, not thrown.
 */
async function callers<T>(count: number, budgetMinutes: number | undefined, work: (i: number) => Promise<T>): Promise<CallerRun<T>> {
  const results: T[] = [];
  const failures: string[] = [];
  const began = performance.now();
  const stopAt = budgetMinutes === undefined ? Infinity : began + budgetMinutes * 60_000;
  let next = 0;
  await Promise.all(Array.from({ length: CALLERS }, async () => {
    while (next < count && performance.now() < stopAt) {
      const i = next++;
      try {
        results.push(await work(i));
      } catch (error) {
        failures.push(`#${i}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
      }
      if ((results.length + failures.length) % 20 === 0) log(`${results.length + failures.length}/${count} done, ${failures.length} failed, load ${loadavg()[0]?.toFixed(1)}`);
    }
  }));
  return { results, failures, wallS: Math.round((performance.now() - began) / 1000) };
}

async function historyLength(fleet: FleetClient, workflowId: string): Promise<number> {
  return Number((await fleet.temporal.workflow.getHandle(workflowId).describe()).historyLength);
}

async function pipelineCycle(fleet: FleetClient, i: number): Promise<{ runningMs: number; events: number }> {
  const name = `soak-${i}`;
  const started = performance.now();
  await fleet.startPipeline({ tenant: 'soak', name, job: { kind: 'sql', script: DATAGEN_TO_BLACKHOLE }, flinkOptions: { 'execution.checkpointing.interval': '2 s' } });
  await waitUntil(`soak/${name} to run`, async () => {
    const { phase } = await fleet.getPipeline('soak', name);
    if (phase === 'Failed') throw new Error(`soak/${name} failed`);
    return phase === 'Running' ? true : undefined;
  }, { timeoutMs: 300_000, intervalMs: 250 });
  const runningMs = performance.now() - started;
  // Every other cycle stops with a savepoint, the heavier of the two ways out.
  const result = await fleet.stopPipeline('soak', name, { savepoint: i % 2 === 0, drain: false, wait: true });
  if (result?.finalState !== 'Stopped') throw new Error(`soak/${name} ended ${result?.finalState}`);
  return { runningMs, events: await historyLength(fleet, pipelineWorkflowId('soak', name)) };
}

async function previewOnce(fleet: FleetClient): Promise<{ firstRowMs: number; events: number; claimMs: number; claimHit: boolean }> {
  const started = performance.now();
  const stream = await fleet.preview('soak', `${TABLE};\n${QUERY}`, { pool: POOL, maxRows: 10 });
  let firstRowMs: number | undefined;
  for await (const row of stream) {
    void row;
    firstRowMs ??= performance.now() - started;
  }
  const result = await stream.result();
  if (result.stoppedBecause !== 'row-limit' || firstRowMs === undefined) throw new Error(`preview stopped because ${result.stoppedBecause}: ${result.error ?? ''}`);
  if (result.timings.claimMs === undefined) throw new Error(`preview ${stream.workflowId} returned rows without a claim`);
  return { firstRowMs, events: await historyLength(fleet, stream.workflowId), claimMs: result.timings.claimMs, claimHit: result.timings.claimHit === true };
}

async function main(): Promise<void> {
  await withBenchStack('soak', TASK_QUEUE, async ({ root, server, runtime, codecKey, fleet }) => {
    const workerPid = startWorkerProcess(root, { address: server.address, taskQueue: TASK_QUEUE, codecKeys: codecKey });
    const rss: { atS: number; mb: number; phase: SoakPhase }[] = [];
    const load: number[] = [loadavg()[0] ?? 0];
    let phase: SoakPhase = 'pipelines';
    const began = performance.now();
    const sampler = setInterval(() => {
      const mb = rssMb(workerPid);
      if (mb !== undefined) rss.push({ atS: Math.round((performance.now() - began) / 1000), mb, phase });
      load.push(loadavg()[0] ?? 0);
    }, RSS_SAMPLE_MS);
    try {
      log(`${PIPELINES} pipeline cycles, ${CALLERS} callers${PIPELINE_MINUTES === undefined ? '' : `, at most ${PIPELINE_MINUTES} min`}`);
      const pipelines = await callers(PIPELINES, PIPELINE_MINUTES, (i) => pipelineCycle(fleet, i));
      const clustersAfterPipelines = (await runtime.listClusters()).length;
      phase = 'previews';
      await fleet.startPool({ sessionCluster: POOL, target: POOL_TARGET });
      await waitUntil('the pool to fill', async () => ((await fleet.poolStats(POOL)).idle === POOL_TARGET ? true : undefined), { timeoutMs: 300_000, intervalMs: 500 });
      log(`${PREVIEWS} previews, ${CALLERS} callers, pool target ${POOL_TARGET}${PREVIEW_MINUTES === undefined ? '' : `, at most ${PREVIEW_MINUTES} min`}`);
      const previews = await callers(PREVIEWS, PREVIEW_MINUTES, () => previewOnce(fleet));
      const pool = await fleet.poolStats(POOL);
      await fleet.stopPool(POOL);
      const figures: Omit<SoakFigures, 'leakedProcesses'> = {
        date: new Date().toISOString().slice(0, 10), machine: `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GB`,
        callers: CALLERS, poolTarget: POOL_TARGET, wallS: Math.round((performance.now() - began) / 1000), load,
        pipelines: {
          asked: PIPELINES, cycles: pipelines.results.length + pipelines.failures.length, budgetMinutes: PIPELINE_MINUTES, wallS: pipelines.wallS, failures: pipelines.failures,
          runningMs: pipelines.results.map((r) => r.runningMs), events: pipelines.results.map((r) => r.events), clustersLeft: clustersAfterPipelines,
        },
        previews: {
          asked: PREVIEWS, count: previews.results.length + previews.failures.length, budgetMinutes: PREVIEW_MINUTES, wallS: previews.wallS, failures: previews.failures,
          firstRowMs: previews.results.map((r) => r.firstRowMs), events: previews.results.map((r) => r.events),
          claimMs: previews.results.map((r) => r.claimMs), claimHits: previews.results.filter((r) => r.claimHit).length,
          hits: pool.hits, misses: pool.misses, claimWaitP50Ms: pool.claimWaitP50Ms, claimWaitP95Ms: pool.claimWaitP95Ms,
        },
        workerRss: rss,
        clustersLeft: (await runtime.listClusters()).length,
      };
      clearInterval(sampler);
      await stopProcess(workerPid, 30_000);
      const leaked = liveProcesses('run');
      writeSection(join(__dirname, 'RESULTS.md'), 'soak', renderSoak({ ...figures, leakedProcesses: leaked.length }));
      log(`wrote bench/RESULTS.md; leaked processes: ${leaked.length}`);
    } finally {
      clearInterval(sampler);
      await stopProcess(workerPid, 30_000);
    }
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`soak failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
