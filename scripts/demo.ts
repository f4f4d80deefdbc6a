import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LocalRuntime } from '../activities/runtime/local/local-runtime';
import { uiLink } from '../client/cli/output';
import { requireCodecKeys } from '../client/codec/keys';
import { devPoolConfig } from '../client/dev/dev-pool';
import { devDown, devUp } from '../client/dev/stack';
import { defaultDevDir } from '../client/dev/stack-file';
import { FleetClient } from '../client/fleet-client';
import { FLEET_METRICS } from '../workflows/metric-names';
import { withResources, type PipelineSpecInput } from '../workflows/pipeline/spec';
import { DEFAULT_POOL } from '../workflows/preview/request';
import { toolchain } from './toolchain';

/**
 * The whole product in one run, against the real Temporal dev server and real Flink: the local stack,
 * the preview pool, a SQL pipeline writing files, a preview streaming rows, a stop with a savepoint,
 * and the fleet metrics its worker counted.
 * With `--kubernetes` the same on the dev stack's real Kubernetes node: Flink in pods, the pipeline's
 * checkpoints and savepoint on S3 (its pods may not write the host's files, so it writes nowhere).
 */
const TENANT = 'demo';
const PIPELINE = 'orders';

function pipelineSql(outputDir: string): string {
  return [
    "CREATE TABLE orders (id BIGINT, amount DOUBLE, placed_at TIMESTAMP(3)) WITH ('connector' = 'datagen', 'rows-per-second' = '5',",
    // Random ids: datagen's 'sequence' kind materialises its whole range in memory when it opens.
    "  'fields.id.min' = '1', 'fields.id.max' = '1000000', 'fields.amount.min' = '1', 'fields.amount.max' = '500');",
    `CREATE TABLE order_files (id BIGINT, amount DOUBLE, placed_at TIMESTAMP(3)) WITH ('connector' = 'filesystem', 'path' = 'file://${outputDir}', 'format' = 'csv');`,
    'INSERT INTO order_files SELECT id, amount, placed_at FROM orders;',
  ].join('\n');
}

const PREVIEW_SQL = [
  "CREATE TEMPORARY TABLE clicks (user_id INT, url STRING) WITH ('connector' = 'datagen', 'rows-per-second' = '20',",
  "  'fields.user_id.min' = '1', 'fields.user_id.max' = '100', 'fields.url.length' = '8');",
  'SELECT user_id, url FROM clicks WHERE user_id < 50',
].join('\n');

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** A pipeline's SQL may write files only inside its own storage, which the runtime names. */
function pipelineOutputDir(runtimeStateDir: string): string {
  const storage = new LocalRuntime({ flinkHome: toolchain().flinkHome, stateDir: runtimeStateDir }).storageUri({ tenant: TENANT, name: PIPELINE });
  return join(new URL(storage).pathname, 'output');
}

/**
 * On the dev stack's node (two cores, 0.9 of them the pool's) each of the pipeline's pods asks for
 * half a core, as `pipeline start --cpu 0.5` would.
 */
function kubernetesPipeline(): PipelineSpecInput {
  return {
    tenant: TENANT, name: PIPELINE, job: { kind: 'sql', script: KUBERNETES_PIPELINE_SQL },
    flinkOptions: { 'execution.checkpointing.interval': '5 s' }, ...withResources(0.5, undefined),
  };
}

const KUBERNETES_PIPELINE_SQL = [
  "CREATE TABLE orders (id BIGINT, amount DOUBLE) WITH ('connector' = 'datagen', 'rows-per-second' = '5', 'fields.id.min' = '1', 'fields.id.max' = '1000000');",
  "CREATE TABLE sink (id BIGINT, amount DOUBLE) WITH ('connector' = 'blackhole');",
  'INSERT INTO sink SELECT id, amount FROM orders;',
].join('\n');

/** Where the pipeline writes: a folder of its own storage locally, nowhere on Kubernetes. */
async function runPipelineDemo(client: FleetClient, outputDir: string | undefined, uiUrl: string): Promise<void> {
  if (outputDir) mkdirSync(outputDir, { recursive: true });
  const { workflowId } = await client.startPipeline(outputDir ? {
    tenant: TENANT, name: PIPELINE, job: { kind: 'sql', script: pipelineSql(outputDir) },
    flinkOptions: { 'execution.checkpointing.interval': '5 s' },
  } : kubernetesPipeline());
  say(`\n== pipeline ${workflowId}\n   ${uiLink(uiUrl, 'default', workflowId)}`);
  let phase = '';
  while (phase !== 'Running') {
    const status = await client.getPipeline(TENANT, PIPELINE);
    if (status.phase !== phase) say(`   phase: ${status.phase}`);
    phase = status.phase;
    if (phase === 'Failed') throw new Error(`the pipeline failed: ${status.failure ?? 'no reason given'}`);
    await sleep(500);
  }
  // The filesystem sink commits its files on checkpoints; give it two.
  await sleep(12_000);
  const status = await client.getPipeline(TENANT, PIPELINE);
  say(`   status: ${status.phase}, job ${status.jobId}, restarts ${status.restarts}`);
  if (outputDir) say(`   writing to ${outputDir}: ${readdirSync(outputDir).length} entries so far`);
  await runPreview(client, uiUrl);
  say('\n== stopping the pipeline with a savepoint');
  const result = await client.stopPipeline(TENANT, PIPELINE, { savepoint: true, drain: false, wait: true });
  say(`   ${result?.finalState}; savepoint ${result?.savepointPath ?? '(none)'}`);
}

async function runPreview(client: FleetClient, uiUrl: string): Promise<void> {
  say('\n== preview (10 rows)');
  const stream = await client.preview(TENANT, PREVIEW_SQL, { maxRows: 10 });
  say(`   ${uiLink(uiUrl, 'default', stream.workflowId)}`);
  for await (const row of stream) say(`   ${row.fields.map((f) => String(f)).join('\t')}`);
  const result = await stream.result();
  say(`   stopped because: ${result.stoppedBecause}; first row after ${result.timings.firstRowMs ?? '-'} ms (claim ${result.timings.claimMs ?? '-'} ms)`);
  if (result.rows.length === 0) throw new Error(`the preview returned no rows (${result.error ?? result.stoppedBecause})`);
}

/** What the worker counted while the demo ran: the fleet's own series that are not zero, buckets left out. */
async function showFleetMetrics(metricsUrl: string): Promise<void> {
  say(`\n== the fleet's own metrics, as Prometheus scrapes them from ${metricsUrl}`);
  const text = await (await fetch(metricsUrl)).text();
  const lines = text.split('\n').filter((line) => line.startsWith('flink_fleet_') && !line.includes('_bucket{') && !/ 0$/.test(line));
  for (const line of lines) say(`   ${line}`);
  say(`   (${FLEET_METRICS.pipelines} is a census of the running workflows, taken every 10 s: it may lag the last stop)`);
}

async function main(): Promise<void> {
  const keep = process.argv.includes('--keep');
  const kubernetes = process.argv.includes('--kubernetes');
  const dir = defaultDevDir();
  say(`== starting the ${kubernetes ? 'stack with a real Kubernetes node' : 'local stack'} in ${dir}`);
  const { stack } = await devUp({ dir, port: 7233, uiPort: 8233, kubernetes });
  say(`   Temporal ${stack.address}, UI ${stack.uiUrl}`);
  if (stack.kubernetes) say(`   Kubernetes: kubectl --kubeconfig ${stack.kubernetes.kubeconfig} get pods -A`);
  const client = await FleetClient.connect({ address: stack.address, codecKeys: requireCodecKeys({ FLEET_CODEC_KEY_FILE: stack.codecKeyFile }) });
  try {
    await client.startPool(devPoolConfig(stack.runtime, 1, availableParallelism()));
    say(`   preview pool started: ${uiLink(stack.uiUrl, 'default', `pool/${DEFAULT_POOL}`)}`);
    await runPipelineDemo(client, stack.kubernetes ? undefined : pipelineOutputDir(stack.runtimeStateDir), stack.uiUrl);
    await showFleetMetrics(stack.metricsUrl);
    if (keep) {
      say(`\nThe stack keeps running. Explore: ${stack.uiUrl}\n  npx flink-fleet pool stats\n  npx flink-fleet pipeline list\nStop it with: npx flink-fleet dev down`);
      return;
    }
    say('\n== stopping everything');
    await client.stopPool(DEFAULT_POOL);
  } finally {
    await client.close();
    if (!keep) await devDown(dir);
  }
  say(existsSync(join(dir, 'stack.json')) ? 'the stack is still up' : 'done: nothing left running');
}

main().catch(async (error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
