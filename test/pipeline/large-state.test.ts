import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { clusterName } from '../../activities/names';
import { clusterLayout } from '../../activities/runtime/local/layout';
import { waitUntil } from '../../activities/runtime/local/wait';
import { FleetError } from '../../client/errors';
import { fleetTestBed, type FleetTestBed } from '../harness/fleet';
import { sqlPipeline } from './fixtures';

const TENANT = 'acme';
const LARGE_STATE = { 'state.backend.type': 'rocksdb', 'execution.checkpointing.incremental': 'true', 'execution.state-recovery.from-local': 'true' };

/** Keyed state that keeps changing: a count per key of 100 000, 2 000 updates a second. */
const COUNT_PER_KEY = [
  "CREATE TABLE events (k BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '2000', 'fields.k.min' = '1', 'fields.k.max' = '100000');",
  "CREATE TABLE counts (k BIGINT, n BIGINT) WITH ('connector' = 'blackhole');",
  'INSERT INTO counts SELECT k, COUNT(*) FROM events GROUP BY k;',
].join('\n');

interface CheckpointStats { id: number; status: string; state_size: number; checkpointed_size: number }

async function flinkJson<T>(restUrl: string, path: string): Promise<T> {
  const response = await fetch(`${restUrl}${path}`);
  assert.equal(response.status, 200, `GET ${path}`);
  return await response.json() as T;
}

function foldersNamed(root: string, name: string): string[] {
  return readdirSync(root, { withFileTypes: true, recursive: true }).filter((e) => e.isDirectory() && e.name === name).map((e) => join(e.parentPath, e.name));
}

describe('large state: RocksDB with incremental checkpoints and local recovery, chosen by the spec', function () {
  // A JobManager and a TaskManager on a loaded machine, then a few checkpoints.
  this.timeout(300_000);
  let bed: FleetTestBed;
  beforeEach(() => {
    bed = fleetTestBed('large-state');
  });
  afterEach(async () => {
    await bed.cleanUp();
  });

  it('checkpoints only what changed, on RocksDB, keeping a local copy in the cluster\'s own folder', async () => {
    const name = 'counts';
    await bed.withWorker(async () => {
      await bed.client.startPipeline(sqlPipeline(TENANT, name, {
        job: { kind: 'sql', script: COUNT_PER_KEY }, flinkOptions: { ...LARGE_STATE, 'execution.checkpointing.interval': '2 s' },
      }));
      const { jobId } = await waitUntil('the pipeline running', async () => {
        const status = await bed.client.getPipeline(TENANT, name);
        return status.phase === 'Running' ? status : undefined;
      }, { timeoutMs: 180_000, intervalMs: 500 });
      const { endpoints } = await bed.runtime.observe({ tenant: TENANT, name });
      const restUrl = endpoints?.restUrl as string;

      const config = await flinkJson<{ state_backend: string }>(restUrl, `/jobs/${jobId}/checkpoints/config`);
      assert.equal(config.state_backend, 'EmbeddedRocksDBStateBackend');
      // A full checkpoint uploads all of its state; an incremental one only the files made since the last.
      const incremental = await waitUntil('a checkpoint smaller than the state it covers', async () => {
        const { history } = await flinkJson<{ history: CheckpointStats[] }>(restUrl, `/jobs/${jobId}/checkpoints`);
        return history.find((c) => c.status === 'COMPLETED' && c.checkpointed_size > 0 && c.checkpointed_size < c.state_size);
      }, { timeoutMs: 120_000, intervalMs: 1000 });
      assert.ok(incremental.id > 1, `checkpoint ${incremental.id}: ${incremental.checkpointed_size} of ${incremental.state_size} bytes`);

      const clusterDir = clusterLayout(bed.stateDir, clusterName(TENANT, name)).dir;
      assert.notDeepEqual(foldersNamed(clusterDir, 'localState'), [], `local recovery's copy under ${clusterDir}`);
      await bed.client.stopPipeline(TENANT, name, { savepoint: false, drain: false, wait: true });
    });
    assert.deepEqual(await bed.runtime.listClusters(), []);
  });

  it('refuses a state backend outside the fixed set by name, before anything starts', async () => {
    const refused = await bed.client.startPipeline(sqlPipeline(TENANT, 'evil', { flinkOptions: { 'state.backend.type': 'org.example.EvilStateBackendFactory' } }))
      .then(() => assert.fail('the spec was accepted'), (error: unknown) => error);
    assert.ok(refused instanceof FleetError, String(refused));
    assert.equal(refused.type, 'InvalidSpec');
    assert.match(refused.message, /spec\.flinkOptions\["state\.backend\.type"\]: must be one of hashmap, rocksdb, not 'org\.example\.EvilStateBackendFactory'/);
    assert.deepEqual(await bed.runtime.listClusters(), []);
  });
});
