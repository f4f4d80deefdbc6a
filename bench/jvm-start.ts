import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { FlinkRestClient } from '../activities/flink/rest-client';
import { SqlGatewayClient } from '../activities/flink/sql-gateway-client';
import { clusterName } from '../activities/names';
import { clusterLayout, readRecord } from '../activities/runtime/local/layout';
import { LocalRuntime } from '../activities/runtime/local/local-runtime';
import { waitUntil } from '../activities/runtime/local/wait';
import type { ClusterRef } from '../activities/runtime/types';
import { toolchain } from '../scripts/toolchain';
import { renderJvmStart, type JvmStartMeasure } from './jvm-start-report';
import { gatewayFirstRow } from './measure';
import { writeSection } from './results-file';

/**
 * `npm run bench:jvm-start`: what the class archives (AppCDS) change in a JVM's start and in a fresh
 * TaskManager's first job. Each round starts one session cluster without them and one with them, so
 * both see the same machine; the clusters are removed at the end.
 */
const ROUNDS = 4;
const RESOURCES = { cpu: 1, memoryMb: 1024 };
const POLL_MS = 20;
const log = (line: string): void => {
  process.stderr.write(`[bench:jvm-start ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};

const MEASURES = {
  jobManager: ['JobManager', 'process started → REST API answers'],
  gateway: ['SQL Gateway', 'process started → REST API answers (starts beside the JobManager)'],
  taskManager: ['TaskManager', 'process started → registered with the JobManager'],
  firstQuery: ['first query', 'a new cluster\'s first statement (gateway and TaskManager both fresh) → first row'],
  warmGateway: ['fresh TaskManager, warm gateway', 'as a warm preview on the raw gateway: the gateway has run a query, the TaskManager none → first row'],
} as const;
type MeasureKey = keyof typeof MEASURES;
type Round = Record<MeasureKey, number>;

const since = (started: number): number => performance.now() - started;

async function firstRow(gateway: SqlGatewayClient): Promise<number> {
  return (await gatewayFirstRow(gateway, () => Promise.resolve())).ms;
}

async function addTaskManager(runtime: LocalRuntime, ref: ClusterRef, rest: FlinkRestClient, id: string): Promise<number> {
  const started = performance.now();
  await runtime.addTaskManager(ref, id);
  await waitUntil(`${id} to register`, async () => ((await rest.taskManagers()).some((tm) => tm.id === id) ? true : undefined), { timeoutMs: 180_000, intervalMs: POLL_MS });
  return since(started);
}

/** The JobManager's REST port is recorded before its process starts, so it can be polled while the gateway still starts. */
async function jobManagerReady(runtime: LocalRuntime, ref: ClusterRef, started: number): Promise<number> {
  const layout = clusterLayout(runtime.stateDir, clusterName(ref.tenant, ref.name));
  const port = await waitUntil('the cluster record', async () => readRecord(layout)?.ports.rest, { timeoutMs: 60_000, intervalMs: POLL_MS });
  await waitUntil('the JobManager', async () => ((await fetch(`http://127.0.0.1:${port}/overview`)).ok ? true : undefined), { timeoutMs: 180_000, intervalMs: POLL_MS });
  return since(started);
}

async function round(runtime: LocalRuntime, ref: ClusterRef): Promise<Round> {
  const started = performance.now();
  const deploying = runtime.deploySessionCluster({ ...ref, jobManager: RESOURCES, taskManager: RESOURCES });
  const jobManager = await jobManagerReady(runtime, ref, started);
  const { restUrl, gatewayUrl } = await deploying;
  const gatewayMs = since(started);
  if (!gatewayUrl) throw new Error('a session cluster without a SQL Gateway');
  const rest = new FlinkRestClient(restUrl);
  const gateway = new SqlGatewayClient(gatewayUrl);
  try {
    const taskManager = await addTaskManager(runtime, ref, rest, 'taskmanager-1');
    const firstQuery = await firstRow(gateway);
    // As the pool does after a preview: the TaskManager that ran a job goes, a fresh one takes its place.
    await runtime.killTaskManager(ref, 'taskmanager-1');
    await addTaskManager(runtime, ref, rest, 'taskmanager-2');
    const warmGateway = await firstRow(gateway);
    return { jobManager, gateway: gatewayMs, taskManager, firstQuery, warmGateway };
  } finally {
    await runtime.deleteCluster(ref);
  }
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'flink-fleet-bench-jvm-start-'));
  const tools = toolchain();
  const variants = {
    without: new LocalRuntime({ flinkHome: tools.flinkHome, stateDir: join(root, 'without') }),
    with: new LocalRuntime({ flinkHome: tools.flinkHome, stateDir: join(root, 'with'), classArchives: tools.flinkClassArchives }),
  };
  const loadAtStart = loadavg()[0] ?? 0;
  const rounds: Record<keyof typeof variants, Round[]> = { without: [], with: [] };
  try {
    for (let i = 1; i <= ROUNDS; i++) {
      // Alternating who goes first, so that neither variant always inherits the other's leftovers (page cache, load).
      const order = i % 2 === 1 ? (['without', 'with'] as const) : (['with', 'without'] as const);
      for (const variant of order) {
        const figures = await round(variants[variant], { tenant: 'bench', name: `jvm-start-${i}` });
        rounds[variant].push(figures);
        log(`round ${i}/${ROUNDS} ${variant} archives: ${Object.entries(figures).map(([k, v]) => `${k} ${Math.round(v)} ms`).join(', ')}`);
      }
    }
  } finally {
    for (const runtime of Object.values(variants)) for (const cluster of await runtime.listClusters()) await runtime.deleteCluster(cluster);
  }
  const measures: JvmStartMeasure[] = (Object.keys(MEASURES) as MeasureKey[]).map((key) => ({
    name: MEASURES[key][0], what: MEASURES[key][1],
    withArchivesMs: rounds.with.map((r) => r[key]), withoutArchivesMs: rounds.without.map((r) => r[key]),
  }));
  const file = join(__dirname, 'RESULTS.md');
  writeSection(file, 'jvm-start', renderJvmStart({
    date: new Date().toISOString().slice(0, 10), machine: `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GB`,
    rounds: ROUNDS, loadAverage: [loadAtStart, loadavg()[0] ?? 0], measures,
  }));
  log(`wrote ${file}`);
  rmSync(root, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:jvm-start failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
