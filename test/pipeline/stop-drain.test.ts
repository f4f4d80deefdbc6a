import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FlinkRestClient } from '../../activities/flink/rest-client';
import { waitUntil } from '../../activities/runtime/local/wait';
import type { PipelineResult } from '../../workflows/pipeline/api';
import { fleetTestBed, type FleetTestBed } from '../harness/fleet';
import { sqlPipeline } from './fixtures';

/**
 * Every row has the same event time, so the watermark never passes the end of its one-hour window:
 * the window fires only when the MAX_WATERMARK that a drain sends arrives.
 */
function windowCountsScript(outputDir: string): string {
  return [
    "CREATE TABLE events (n BIGINT, ts AS CAST(TIMESTAMP '2000-01-01 00:00:00' AS TIMESTAMP(3)), WATERMARK FOR ts AS ts) WITH ('connector' = 'datagen', 'rows-per-second' = '20');",
    `CREATE TABLE window_counts (window_start TIMESTAMP(3), window_end TIMESTAMP(3), row_count BIGINT) WITH ('connector' = 'filesystem', 'path' = 'file://${outputDir}', 'format' = 'csv');`,
    'INSERT INTO window_counts SELECT window_start, window_end, COUNT(*) FROM TABLE(TUMBLE(TABLE events, DESCRIPTOR(ts), INTERVAL \'1\' HOUR)) GROUP BY window_start, window_end;',
  ].join('\n');
}

/** The rows of the sink's committed files; in-progress files are hidden (dot-prefixed) until committed. */
function committedRows(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((file) => !file.startsWith('.'))
    .flatMap((file) => readFileSync(join(dir, file), 'utf8').split('\n').filter((line) => line !== ''));
}

/** The sink writes inside the pipeline's own storage: the only place a pipeline's SQL may write. */
function sinkDir(bed: FleetTestBed, name: string): string {
  return join(new URL(bed.runtime.storageUri({ tenant: 'acme', name })).pathname, 'window-counts');
}

function savepointFolder(path: string): string {
  return new URL(path.replace(/^file:(?!\/\/)/, 'file://')).pathname;
}

/** Starts the window pipeline, waits until it has checkpointed once (so rows have flowed), and stops it. */
async function runAndStop(bed: FleetTestBed, name: string, outputDir: string, drain: boolean): Promise<{ jobId: string; result: PipelineResult }> {
  return bed.withWorker(async () => {
    await bed.client.startPipeline(sqlPipeline('acme', name, { job: { kind: 'sql', script: windowCountsScript(outputDir) } }));
    const { jobId } = await waitUntil(`acme/${name} to run`, async () => {
      const status = await bed.client.getPipeline('acme', name);
      return status.phase === 'Running' && status.jobId ? { jobId: status.jobId } : undefined;
    }, { timeoutMs: 120_000, intervalMs: 250 });
    const { endpoints } = await bed.runtime.observe({ tenant: 'acme', name });
    const rest = new FlinkRestClient(endpoints?.restUrl ?? '');
    await waitUntil(`a first checkpoint of acme/${name}`, async () => ((await rest.checkpoints(jobId)).latestCheckpoint ? true : undefined), { timeoutMs: 60_000, intervalMs: 500 });
    const result = await bed.client.stopPipeline('acme', name, { savepoint: true, drain, wait: true });
    assert.ok(result, 'stop --wait returns the result');
    return { jobId, result };
  });
}

describe('stopping a pipeline with a savepoint, with and without drain', () => {
  let bed: FleetTestBed;
  beforeEach(() => {
    bed = fleetTestBed('drain');
  });
  afterEach(async () => {
    await bed.cleanUp();
  });

  it('with drain, fires the open event-time window into the sink before the savepoint, and stops', async () => {
    const outputDir = sinkDir(bed, 'drained');
    const { jobId, result } = await runAndStop(bed, 'drained', outputDir, true);
    assert.equal(result.finalState, 'Stopped');
    assert.match(result.savepointPath ?? '', new RegExp(`/savepoints/savepoint-${jobId.slice(0, 6)}-[0-9a-f]{12}$`));
    assert.ok(existsSync(join(savepointFolder(result.savepointPath ?? ''), '_metadata')), `${result.savepointPath} has its metadata`);
    const rows = committedRows(outputDir);
    assert.equal(rows.length, 1, `one window result, got ${JSON.stringify(rows)}`);
    assert.match(rows[0] ?? '', /^"?2000-01-01 00:00:00"?,"?2000-01-01 01:00:00"?,[1-9][0-9]*$/);
    assert.deepEqual(await bed.runtime.listClusters(), []);
  });

  it('without drain, keeps the open window in the savepoint and writes nothing to the sink', async () => {
    const outputDir = sinkDir(bed, 'undrained');
    const { jobId, result } = await runAndStop(bed, 'undrained', outputDir, false);
    assert.equal(result.finalState, 'Stopped');
    assert.match(result.savepointPath ?? '', new RegExp(`/savepoints/savepoint-${jobId.slice(0, 6)}-[0-9a-f]{12}$`));
    assert.ok(existsSync(join(savepointFolder(result.savepointPath ?? ''), '_metadata')), `${result.savepointPath} has its metadata`);
    assert.deepEqual(committedRows(outputDir), []);
    assert.deepEqual(await bed.runtime.listClusters(), []);
  });
});
