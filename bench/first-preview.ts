import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { DefaultLogger, NativeConnection, Runtime, bundleWorkflowCode } from '@temporalio/worker';
import { FlinkRestClient } from '../activities/flink/rest-client';
import { SqlGatewayClient } from '../activities/flink/sql-gateway-client';
import type { LocalRuntime } from '../activities/runtime/local/local-runtime';
import { waitUntil } from '../activities/runtime/local/wait';
import { FAILURE_CONVERTER_PATH } from '../client/codec/data-converter';
import type { CodecKeyRing } from '../client/codec/keys';
import type { FleetClient } from '../client/fleet-client';
import { toolchain } from '../scripts/toolchain';
import { completedActivitiesOf } from '../test/harness/history';
import { createFleetWorker } from '../worker/fleet-worker';
import { createSqlInspector, sqlInspectorInstall } from '../worker/sql-inspector';
import { poolWorkflowId, sessionClusterRef } from '../workflows/pool/api';
import { renderFirstPreview, type FirstPreviewVariant } from './first-preview-report';
import { previewFirstRow, settled, type BenchContext } from './measure';
import { writeSection } from './results-file';
import { withBenchStack } from './stack';

/**
 * `npm run bench:first-preview`: the first preview after a fresh start (a new worker, a new pool and
 * session cluster) against the previews after it, with the warm-ups (the worker's SQL inspector
 * started ahead, the gateway warmed by the pool) and without them, in the same run.
 */
const ROUNDS = 3;
const WARM_RUNS = 3;
const TASK_QUEUE = 'bench-first-preview';
const log = (line: string): void => {
  process.stderr.write(`[bench:first-preview ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};

interface Bench {
  readonly runtime: LocalRuntime;
  readonly fleet: FleetClient;
  readonly connection: NativeConnection;
  readonly codecKeys: CodecKeyRing;
  readonly workflowBundle: Awaited<ReturnType<typeof bundleWorkflowCode>>;
}

/** Both variants wait for the warm-up activity (which returns at once when turned off), so both start from a settled pool. */
async function warmUpDone(bench: Bench, pool: string): Promise<void> {
  const handle = bench.fleet.temporal.workflow.getHandle(poolWorkflowId(pool));
  await waitUntil(`pool ${pool}'s warm-up`, async () => ((await completedActivitiesOf(handle)).some((a) => a.activity === 'warmUpSessionCluster') ? true : undefined),
    { timeoutMs: 180_000, intervalMs: 100 });
}

async function context(bench: Bench, pool: string): Promise<BenchContext> {
  const observed = await bench.runtime.observe(sessionClusterRef(pool));
  if (!observed.endpoints?.gatewayUrl) throw new Error(`session cluster of ${pool} is not running`);
  return { fleet: bench.fleet, runtime: bench.runtime, pool, log, rest: new FlinkRestClient(observed.endpoints.restUrl), gateway: new SqlGatewayClient(observed.endpoints.gatewayUrl) };
}

/** A fresh worker, as `dev up` starts one, and a fresh pool; its first preview, then WARM_RUNS more. */
type Variant = { [K in keyof FirstPreviewVariant]: number[] };

function record(into: Variant, which: 'first' | 'warm', { ms, result }: Awaited<ReturnType<typeof previewFirstRow>>): void {
  into[`${which}Ms`].push(ms);
  if (result.timings.claimMs !== undefined) into[`${which}ClaimMs`].push(result.timings.claimMs);
}

async function freshStart(bench: Bench, pool: string, warmUp: boolean, into: Variant): Promise<void> {
  const sqlInspector = createSqlInspector(sqlInspectorInstall({ FLINK_HOME: toolchain().flinkHome }));
  try {
    const worker = await createFleetWorker({
      connection: bench.connection, namespace: 'default', taskQueue: TASK_QUEUE, runtime: bench.runtime, codecKeys: bench.codecKeys,
      workflowBundle: bench.workflowBundle, sqlInspector, warmUp,
    });
    return await worker.runUntil(async () => {
      await bench.fleet.startPool({ sessionCluster: pool, target: 1, maxTarget: 1, taskManager: { cpu: 1, memoryMb: 1024 } });
      await waitUntil(`pool ${pool} to settle`, async () => {
        const s = await bench.fleet.poolStats(pool);
        return s.idle === 1 && s.starting === 0 ? true : undefined;
      }, { timeoutMs: 180_000, intervalMs: 100 });
      await warmUpDone(bench, pool);
      const ctx = await context(bench, pool);
      record(into, 'first', await previewFirstRow(ctx));
      for (let i = 0; i < WARM_RUNS; i++) {
        await settled(ctx, 1);
        record(into, 'warm', await previewFirstRow(ctx));
      }
      await bench.fleet.stopPool(pool);
    });
  } finally {
    await sqlInspector.close();
  }
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const loadAtStart = loadavg()[0] ?? 0;
  const empty = (): Variant => ({ firstMs: [], warmMs: [], firstClaimMs: [], warmClaimMs: [] });
  const variants = { with: empty(), without: empty() };
  await withBenchStack('bench-first-preview', TASK_QUEUE, async ({ server, runtime, codecKeys, fleet }) => {
    const connection = await NativeConnection.connect({ address: server.address });
    // Bundled once: a worker bundling its own workflows would load the machine while the other variant's pool starts.
    const workflowBundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), failureConverterPath: FAILURE_CONVERTER_PATH, logger: new DefaultLogger('WARN') });
    const bench: Bench = { runtime, fleet, connection, codecKeys, workflowBundle };
    for (let i = 1; i <= ROUNDS; i++) {
      // Alternating who goes first, so that neither variant always inherits the other's leftovers (page cache, load).
      const order = i % 2 === 1 ? (['with', 'without'] as const) : (['without', 'with'] as const);
      for (const variant of order) {
        const figures = empty();
        await freshStart(bench, `first-${i}-${variant}`, variant === 'with', figures);
        for (const key of Object.keys(figures) as (keyof Variant)[]) variants[variant][key].push(...figures[key]);
        log(`round ${i}/${ROUNDS} ${variant} warm-ups: ${Object.entries(figures).map(([k, v]) => `${k} ${v.map(Math.round).join(', ')}`).join('; ')}`);
      }
    }
    await connection.close();
  });
  const file = join(__dirname, 'RESULTS.md');
  writeSection(file, 'first-preview', renderFirstPreview({
    date: new Date().toISOString().slice(0, 10), machine: `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GB`,
    rounds: ROUNDS, warmRunsPerPool: WARM_RUNS, loadAverage: [loadAtStart, loadavg()[0] ?? 0],
    withWarmUp: variants.with, withoutWarmUp: variants.without,
  }));
  log(`wrote ${file}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:first-preview failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
