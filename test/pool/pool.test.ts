import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitUntil } from '../../activities/runtime/local/wait';
import { poolWorkflowId, sessionClusterRef } from '../../workflows/pool/api';
import { rowsQuery } from '../../workflows/preview/api';
import { fleetTestBed, type FleetTestBed } from '../harness/fleet';
import { NUMBERS, poolFixture, restOf } from '../preview/pool-fixture';

const SLOW = "CREATE TEMPORARY TABLE slow (n BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '2')";

describe('maintainIdlePool on the local runtime', () => {
  let bed: FleetTestBed;
  let pool: string;
  beforeEach(() => {
    bed = fleetTestBed('pool');
    pool = `pool-${Date.now().toString(36)}`;
  });
  afterEach(async () => {
    await bed.withWorker(() => bed.client.stopPool(pool)).catch(() => undefined);
    await bed.cleanUp();
  });

  it('replaces an idle TaskManager that died, and resizes within maxTarget only', async function () {
    this.timeout(360_000); // above its three waits
    const fixture = poolFixture(bed, pool);
    await bed.withWorker(async () => {
      await bed.client.startPool({ sessionCluster: pool, target: 1, maxTarget: 2, reconcileSeconds: 2 });
      await fixture.settled(1, 120_000);
      const [victim] = (await bed.client.poolStats(pool)).readyTaskManagers;
      await bed.runtime.killTaskManager(sessionClusterRef(pool), victim as string);
      await waitUntil('the dead TaskManager to be replaced', async () => {
        const stats = await bed.client.poolStats(pool);
        return !stats.readyTaskManagers.includes(victim as string) && stats.idle === 1 && stats.starting === 0 ? true : undefined;
      }, { timeoutMs: 90_000, intervalMs: 250 });
      await assert.rejects(bed.client.resizePool(3, pool), (error: Error) => {
        assert.match(String(error.cause), /from 0 to 2/);
        return true;
      });
      await bed.client.resizePool(2, pool);
      await fixture.settled(2, 90_000);
      assert.equal((await (await restOf(bed, pool)).taskManagers()).length, 2);
    });
  });

  it('ends a preview whose worker stopped mid-query by its timeout, and frees what it used', async function () {
    this.timeout(360_000); // above its waits and the preview's own 40 s
    const fixture = poolFixture(bed, pool);
    const { stream, streamedBefore } = await bed.withWorker(async () => {
      await bed.client.startPool({ sessionCluster: pool, target: 1, reconcileSeconds: 2 });
      await fixture.settled(1, 120_000);
      const started = await bed.client.preview('acme', `${SLOW}; SELECT n FROM slow`, { pool, maxRows: 1000, timeoutSeconds: 40 });
      const handle = bed.client.temporal.workflow.getHandle(started.workflowId);
      const firstRows = await waitUntil('the first rows', async () => {
        const { rows } = await handle.query(rowsQuery, 0);
        return rows.length > 0 ? rows : undefined;
      }, { timeoutMs: 60_000 });
      return { stream: started, streamedBefore: firstRows };
    });
    // No worker at all for a while: the preview's timer keeps counting.
    await sleep(5_000);
    const result = await bed.withWorker(async () => {
      const ended = await stream.result();
      await fixture.settled(1, 90_000);
      return ended;
    });
    assert.equal(result.stoppedBecause, 'timeout');
    assert.deepEqual(result.rows.slice(0, streamedBefore.length), streamedBefore, 'the rows streamed before the worker went are kept, first');
    assert.ok(result.taskManagerIds.length >= 1);
    const registered = (await (await restOf(bed, pool)).taskManagers()).map((t) => t.id);
    for (const id of result.taskManagerIds) assert.ok(!registered.includes(id), `${id} is gone`);
  });
  it('sizes itself: raises its target for a burst of previews, says why in its stats and the Temporal UI, and comes back to its floor when quiet', async function () {
    // Its three waits may take 120 s each on a loaded machine; mocha's 180 s default cut it short once,
    // and the pool it was still starting then counted as the next test's leak.
    this.timeout(480_000);
    const fixture = poolFixture(bed, pool);
    await bed.withWorker(async () => {
      await bed.client.startPool({ sessionCluster: pool, target: 1, maxTarget: 3, reconcileSeconds: 2, autoSize: { minTarget: 1, windowSeconds: 10, quietSeconds: 10 } });
      await fixture.settled(1, 120_000);
      assert.deepEqual((await bed.client.poolStats(pool)).sizing?.decisions, [], 'no claim, no decision');
      const burst = await Promise.all([1, 2, 3].map(() => bed.client.preview('acme', `${NUMBERS}; SELECT n FROM numbers`, { pool, maxRows: 5 })));
      for (const stream of burst) assert.equal((await stream.result()).stoppedBecause, 'row-limit');
      // Ten quiet seconds after its raise, and the burst's claims out of the window: back to its floor.
      const settledBack = await waitUntil('the pool to raise its target and come back to its floor', async () => {
        const stats = await bed.client.poolStats(pool);
        return stats.target === 1 && (stats.sizing?.decisions.length ?? 0) >= 2 ? stats : undefined;
      }, { timeoutMs: 120_000, intervalMs: 500 });
      const decisions = settledBack.sizing?.decisions ?? [];
      // Three claims at once need more idle TaskManagers than the one there was.
      const [raise] = decisions;
      assert.ok(raise && raise.from === 1 && raise.to > 1 && raise.to <= 3, JSON.stringify(decisions));
      assert.match(raise.reason, /claims in the last 10 s .* a TaskManager starts in [0-9.]+ s: \d idle keep up/);
      const last = decisions.at(-1);
      assert.equal(last?.to, 1, JSON.stringify(decisions));
      assert.match(last?.reason ?? '', /no raise for 10 s, 1 idle suffice/);
      const ui = await bed.client.temporal.workflow.getHandle(poolWorkflowId(pool)).query<{ currentDetails: string }>('__temporal_workflow_metadata');
      assert.ok(ui.currentDetails.includes(`${raise.from} → ${raise.to}, ${raise.reason}`), ui.currentDetails);
      await fixture.settled(1, 120_000);
      assert.equal((await (await restOf(bed, pool)).taskManagers()).length, 1, 'the surplus idle TaskManagers were killed');
    });
  });
});
