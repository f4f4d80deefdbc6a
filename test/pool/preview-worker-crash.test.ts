import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitUntil } from '../../activities/runtime/local/wait';
import { rowsQuery } from '../../workflows/preview/api';
import { fleetTestBed, type FleetTestBed } from '../harness/fleet';
import { workerProcesses } from '../harness/worker-process';
import { poolFixture, restOf } from '../preview/pool-fixture';

const SLOW = "CREATE TEMPORARY TABLE slow (n BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '2')";

describe('a preview whose worker process is SIGKILLed mid-query', () => {
  let bed: FleetTestBed;
  let pool: string;
  let workers: ReturnType<typeof workerProcesses>;
  beforeEach(() => {
    bed = fleetTestBed('preview-crash');
    workers = workerProcesses(bed);
    pool = `crash-${Date.now().toString(36)}`;
  });
  afterEach(async () => {
    await bed.client.stopPool(pool).catch(() => undefined);
    await workers.stopAll();
    await bed.cleanUp();
  });

  it('still ends by its timeout, kills the TaskManager it used, and the pool refills', async function () {
    this.timeout(480_000); // above its waits and the preview's own 45 s
    const fixture = poolFixture(bed, pool);
    const first = workers.start();
    await bed.client.startPool({ sessionCluster: pool, target: 1, reconcileSeconds: 2 });
    await fixture.settled(1, 150_000);
    const stream = await bed.client.preview('acme', `${SLOW}; SELECT n FROM slow`, { pool, maxRows: 1000, timeoutSeconds: 45 });
    const handle = bed.client.temporal.workflow.getHandle(stream.workflowId);
    const streamedBefore = await waitUntil('the first rows', async () => {
      const { rows } = await handle.query(rowsQuery, 0);
      return rows.length > 0 ? rows : undefined;
    }, { timeoutMs: 90_000, intervalMs: 250 });
    first.kill('SIGKILL');
    assert.equal(await first.exited, 'SIGKILL');
    // No worker at all for a while: the preview's timer keeps counting on the server.
    await sleep(5_000);
    workers.start();
    const result = await stream.result();
    assert.equal(result.stoppedBecause, 'timeout');
    assert.deepEqual(result.rows.slice(0, streamedBefore.length), streamedBefore, 'the rows streamed before the worker went are kept, first');
    assert.ok(result.taskManagerIds.length >= 1);
    await fixture.settled(1, 120_000);
    const registered = (await (await restOf(bed, pool)).taskManagers()).map((t) => t.id);
    for (const id of result.taskManagerIds) assert.ok(!registered.includes(id), `${id} is gone`);
  });
});
