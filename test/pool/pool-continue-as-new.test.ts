import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { waitUntil } from '../../activities/runtime/local/wait';
import { WORKFLOW_TASK_TIMEOUT } from '../../client/workflow-task-timeout';
import { poolWorkflowId, type MaintainIdlePoolInput, type PoolStats } from '../../workflows/pool/api';
import { fleetTestBed, type FleetTestBed } from '../harness/fleet';
import { workflowTaskTimeoutSeconds } from '../harness/history';
import { poolFixture, restOf } from '../preview/pool-fixture';

const FIVE = "CREATE TEMPORARY TABLE five (n BIGINT) WITH ('connector' = 'datagen', 'number-of-rows' = '5', 'fields.n.kind' = 'sequence', 'fields.n.start' = '1', 'fields.n.end' = '5')";

describe('maintainIdlePool continues as new (local runtime)', () => {
  let bed: FleetTestBed;
  let pool: string;
  beforeEach(() => {
    bed = fleetTestBed('pool-can');
    pool = `can-${randomUUID().slice(0, 6)}`;
  });
  afterEach(async () => {
    await bed.withWorker(() => bed.client.stopPool(pool)).catch(() => undefined);
    await bed.cleanUp();
  });

  it('carries its target, its TaskManagers and its counters into the new run, which still serves previews', async function () {
    // Above its own waits (five pool settlings, a continue-as-new, three previews), as a loaded machine may use them.
    this.timeout(600_000);
    const fixture = poolFixture(bed, pool);
    const handle = bed.client.temporal.workflow.getHandle(poolWorkflowId(pool));
    const preview = async (): Promise<void> => {
      const result = await (await bed.client.preview('acme', `${FIVE}; SELECT n FROM five`, { pool })).result();
      assert.equal(result.stoppedBecause, 'end-of-data', result.error);
      assert.deepEqual(result.rows.map((r) => r.fields[0]), [1, 2, 3, 4, 5]);
    };
    const sameBooks = (stats: PoolStats) => ({ ...stats, readyTaskManagers: [...stats.readyTaskManagers].sort() });

    await bed.withWorker(async () => {
      // Started as the client does, plus the test-only option: continue as new after every second quiet reconcile.
      const input: MaintainIdlePoolInput = { config: { sessionCluster: pool, target: 0, maxTarget: 2, reconcileSeconds: 2 }, continueAsNewAfterReconciles: 2 };
      await bed.client.temporal.workflow.start('maintainIdlePool', { taskQueue: bed.taskQueue, workflowId: poolWorkflowId(pool), args: [input], workflowTaskTimeout: WORKFLOW_TASK_TIMEOUT });
      await fixture.settled(0, 120_000);
      // A miss (nothing idle at target 0), then a resize the config does not know of, then a hit.
      await preview();
      await bed.client.resizePool(2, pool);
      await fixture.settled(2, 90_000);
      await preview();
      await fixture.settled(2, 90_000);

      const firstRun = (await handle.describe()).runId;
      const before = sameBooks(await bed.client.poolStats(pool));
      assert.equal(before.hits, 1);
      assert.equal(before.misses, 1);
      assert.equal(before.target, 2);
      // Each preview's TaskManager was killed; on a loaded machine a start that timed out is killed too.
      assert.ok(before.killed >= 2, `killed ${before.killed}`);
      // One hit, so one measured claim wait: a number, not a placeholder.
      assert.ok(typeof before.claimWaitP50Ms === 'number' && before.claimWaitP50Ms >= 0, `claim wait p50 ${before.claimWaitP50Ms}`);

      await waitUntil('the pool to continue as new', async () => ((await handle.describe()).runId !== firstRun ? true : undefined), { timeoutMs: 60_000, intervalMs: 250 });
      assert.equal((await bed.client.temporal.workflow.getHandle(poolWorkflowId(pool), firstRun).describe()).status.name, 'CONTINUED_AS_NEW');
      // The client's workflow task timeout is set at start only: the new run must have kept it.
      assert.equal(await workflowTaskTimeoutSeconds(handle), 30);
      const after = sameBooks(await bed.client.poolStats(pool));
      assert.deepEqual(after, before);
      // The same TaskManagers, still registered with the same JobManager: nothing was restarted.
      assert.deepEqual((await (await restOf(bed, pool)).taskManagers()).map((t) => t.id).sort(), after.readyTaskManagers);

      // The new run serves previews and keeps counting from the carried figures.
      await preview();
      await fixture.settled(2, 90_000);
      const last = await bed.client.poolStats(pool);
      assert.equal(last.hits, 2);
      assert.equal(last.misses, 1);
      assert.equal(last.killed, before.killed + 1, 'the new run killed the third preview\'s TaskManager, counting on from the carried figure');
      assert.equal(last.readyTaskManagers.length, 2);
    });
  });
});
