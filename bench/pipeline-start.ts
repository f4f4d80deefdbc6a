import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { applicationClusterSpec } from '../activities/pipeline/cluster-spec';
import { toolchain } from '../scripts/toolchain';
import { liveProcesses } from '../test/harness/processes';
import { createFleetWorker } from '../worker/fleet-worker';
import { parsePipelineSpec, type PipelineSpecInput } from '../workflows/pipeline/spec';
import { fleetStartToRunning, rawLocalStartToRunning } from './pipeline-measure';
import { renderPipelineStart } from './pipeline-start-report';
import { medianPhases, type StartPhase } from './start-phases';
import { writeSection } from './results-file';
import { withBenchStack } from './stack';

/**
 * `npm run bench:pipeline-start [-- --rounds N]`: issue 15's "pipeline start to Running ≤ 1.2× raw
 * Flink doing the same" on the local runtime, both kinds in one run.
 */
const TARGET_RATIO = 1.2;
const TASK_QUEUE = 'bench-pipeline-start';
const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '5' } } });
const ROUNDS = Number.parseInt(args.rounds, 10);
const JOB = [
  "CREATE TABLE numbers (n BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '20');",
  "CREATE TABLE sink (n BIGINT) WITH ('connector' = 'blackhole');",
  'INSERT INTO sink SELECT n FROM numbers;',
].join('\n');
const pipeline = (name: string): PipelineSpecInput => ({ tenant: 'bench', name, job: { kind: 'sql', script: JOB } });
const log = (line: string): void => {
  process.stderr.write(`[bench:pipeline-start ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};

async function main(): Promise<void> {
  if (!(ROUNDS >= 1)) throw new Error(`--rounds must be a positive number, not ${args.rounds}`);
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const loadAtStart = loadavg()[0] ?? 0;
  const measured = await withBenchStack('bench-pipeline-start', TASK_QUEUE, async ({ root, server, runtime, codecKeys, fleet }) => {
    const connection = await NativeConnection.connect({ address: server.address });
    const worker = await createFleetWorker({ connection, namespace: 'default', taskQueue: TASK_QUEUE, runtime, codecKeys });
    const rawRoot = join(root, 'raw');
    mkdirSync(rawRoot);
    const times = { fleet: [] as number[], raw: [] as number[], phases: [] as StartPhase[][] };
    await worker.runUntil(async () => {
      // Uncounted: the first of each loads the page cache and the worker's code paths.
      log(`uncounted fleet start: ${Math.round((await fleetStartToRunning(fleet, pipeline('warm-up-fleet'))).ms)} ms`);
      for (let i = 1; i <= ROUNDS; i++) {
        // Alternating who goes first, so that neither always inherits the other's leftovers (page cache, load).
        for (const kind of i % 2 === 1 ? (['fleet', 'raw'] as const) : (['raw', 'fleet'] as const)) {
          const name = `${kind}-${i}`;
          const spec = applicationClusterSpec({ spec: parsePipelineSpec(pipeline(name)), jobId: randomBytes(16).toString('hex') });
          if (kind === 'fleet') {
            const start = await fleetStartToRunning(fleet, pipeline(name));
            times.fleet.push(start.ms);
            times.phases.push(start.phases);
          } else {
            times.raw.push(await rawLocalStartToRunning(toolchain().flinkHome, runtime.classArchiveOptions(), rawRoot, spec));
          }
          log(`round ${i}/${ROUNDS} ${kind}: ${Math.round(times[kind].at(-1) ?? 0)} ms to Running`);
        }
      }
    });
    await connection.close();
    return times;
  });
  const left = liveProcesses('run').map((p) => `${p.pid} (${p.description})`);
  if (left.length > 0) throw new Error(`the bench left processes: ${left.join(', ')}`);
  const file = join(__dirname, 'RESULTS.md');
  writeSection(file, 'pipeline-start', renderPipelineStart({
    date: new Date().toISOString().slice(0, 10), machine: `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GB`,
    loadAverage: [loadAtStart, loadavg()[0] ?? 0], rounds: ROUNDS, fleetMs: measured.fleet, rawMs: measured.raw, fleetPhases: medianPhases(measured.phases), targetRatio: TARGET_RATIO,
  }));
  log(`wrote ${file}`);
}

main().then(() => process.exit(0), (error: unknown) => {
  process.stderr.write(`bench:pipeline-start failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
