import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { freePort } from '../activities/runtime/local/ports';
import { stopProcess } from '../activities/runtime/local/processes';
import { waitUntil } from '../activities/runtime/local/wait';
import { childrenOf } from '../test/harness/proc';
import { parsePrometheusText, samplesOf } from '../test/harness/prometheus';
import { DATAGEN_TO_BLACKHOLE } from '../test/pipeline/fixtures';
import { writeSection } from './results-file';
import { withBenchStack } from './stack';
import { renderWorkerLoad, type WorkerLoadPoint } from './workers-report';
import { rssMb, startWorkerProcess } from './worker-process';

/**
 * `npm run bench:workers`: one worker process with the fleet's default sizing; its RSS, its SQL
 * inspector's, the activity slots it uses and the workflows it caches, with 0, then 1.. N pipelines
 * running (`-- --pipelines N`, default 4). Writes the workers section of bench/RESULTS.md.
 */
const { values: args } = parseArgs({ options: { pipelines: { type: 'string', default: '4' } } });
const PIPELINES = Number(args.pipelines);
const TASK_QUEUE = 'bench-workers';
/** RSS moves with garbage collection: the median of this many samples, one a second, at each level. */
const RSS_SAMPLES = 10;

const log = (line: string): void => {
  process.stderr.write(`[bench:workers ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};

/** The worker's java child: its SQL inspector. tsx's esbuild service is a child of the worker too. */
function inspectorOf(pid: number): number | undefined {
  return childrenOf(pid).find((child) => {
    try {
      return readFileSync(`/proc/${child}/comm`, 'utf8').trim() === 'java';
    } catch {
      return false;
    }
  });
}

const median = (values: readonly number[]): number => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)] ?? 0;

async function scrape(metricsUrl: string): Promise<{ slotsUsed?: number; slotsAvailable?: number; cached?: number }> {
  const samples = parsePrometheusText(await (await fetch(metricsUrl)).text());
  const activity = { worker_type: 'ActivityWorker', task_queue: TASK_QUEUE };
  return {
    slotsUsed: samplesOf(samples, 'temporal_worker_task_slots_used', activity)[0]?.value,
    slotsAvailable: samplesOf(samples, 'temporal_worker_task_slots_available', activity)[0]?.value,
    cached: samplesOf(samples, 'temporal_sticky_cache_size', { task_queue: TASK_QUEUE })[0]?.value,
  };
}

async function measure(workerPid: number, metricsUrl: string, pipelines: number): Promise<WorkerLoadPoint> {
  // The watch activities of all running pipelines hold their slots: the level is reached.
  await waitUntil(`${pipelines} activity slots used`, async () => ((await scrape(metricsUrl)).slotsUsed === pipelines ? true : undefined), { timeoutMs: 120_000, intervalMs: 500 });
  const worker: number[] = [];
  const inspector: number[] = [];
  for (let i = 0; i < RSS_SAMPLES; i++) {
    worker.push(rssMb(workerPid) ?? 0);
    const jvm = inspectorOf(workerPid);
    const jvmMb = jvm === undefined ? undefined : rssMb(jvm);
    if (jvmMb !== undefined) inspector.push(jvmMb);
    await sleep(1_000);
  }
  const metrics = await scrape(metricsUrl);
  return {
    pipelines, workerRssMb: median(worker), ...(inspector.length > 0 ? { inspectorRssMb: median(inspector) } : {}),
    activitySlotsUsed: metrics.slotsUsed, activitySlots: (metrics.slotsUsed ?? 0) + (metrics.slotsAvailable ?? 0), cachedWorkflows: metrics.cached,
  };
}

async function main(): Promise<void> {
  await withBenchStack('bench-workers', TASK_QUEUE, async ({ root, server, codecKey, fleet }) => {
    const metricsPort = await freePort();
    const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    const workerPid = startWorkerProcess(root, { address: server.address, taskQueue: TASK_QUEUE, codecKeys: codecKey, env: { FLEET_METRICS_PORT: String(metricsPort) } });
    try {
      const points: WorkerLoadPoint[] = [];
      await waitUntil('the worker\'s metrics', async () => ((await scrape(metricsUrl)).slotsAvailable !== undefined ? true : undefined), { timeoutMs: 120_000, intervalMs: 500 });
      points.push(await measure(workerPid, metricsUrl, 0));
      log(`idle: ${JSON.stringify(points.at(-1))}`);
      for (let n = 1; n <= PIPELINES; n++) {
        await fleet.startPipeline({ tenant: 'bench', name: `p${n}`, job: { kind: 'sql', script: DATAGEN_TO_BLACKHOLE } });
        await waitUntil(`bench/p${n} to run`, async () => {
          const { phase } = await fleet.getPipeline('bench', `p${n}`);
          if (phase === 'Failed') throw new Error(`bench/p${n} failed`);
          return phase === 'Running' ? true : undefined;
        }, { timeoutMs: 300_000, intervalMs: 500 });
        points.push(await measure(workerPid, metricsUrl, n));
        log(`${n} running: ${JSON.stringify(points.at(-1))}`);
      }
      for (let n = 1; n <= PIPELINES; n++) await fleet.stopPipeline('bench', `p${n}`, { savepoint: false, drain: false, wait: true });
      const figures = { date: new Date().toISOString().slice(0, 10), machine: `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GB`, points };
      writeSection(join(__dirname, 'RESULTS.md'), 'workers', renderWorkerLoad(figures));
      log('wrote the workers section of bench/RESULTS.md');
    } finally {
      await stopProcess(workerPid, 30_000);
    }
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:workers failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
