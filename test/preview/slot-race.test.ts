import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { FlinkRestClient } from '../../activities/flink/rest-client';
import { SqlGatewayClient } from '../../activities/flink/sql-gateway-client';
import { TERMINAL_JOB_STATES } from '../../activities/flink/rest-types';
import { taskManagersOfJob } from '../../activities/preview/job-location';
import { LocalRuntime } from '../../activities/runtime/local/local-runtime';
import { waitUntil } from '../../activities/runtime/local/wait';
import type { ClusterEndpoints, SessionClusterSpec } from '../../activities/runtime/types';
import { toolchain } from '../../scripts/toolchain';
import { sessionClusterRef } from '../../workflows/pool/api';
import { fleetTestBed, type FleetTestBed } from '../harness/fleet';
import { NUMBERS, poolFixture } from './pool-fixture';

/**
 * Without a start-up period of its own, a standalone ResourceManager's ends after
 * `slot.request.timeout` (5 min), and from then on it fails at once a job it finds no free slot for.
 * This test's session cluster gets there in 25 s instead of 5 min; the fleet's own options come after
 * this one, so whatever they set wins. The same timeout bounds how long a job waits for a slot.
 */
const AGE_MS = 25_000;

class AgedSessionRuntime extends LocalRuntime {
  override deploySessionCluster(spec: SessionClusterSpec): Promise<ClusterEndpoints> {
    return super.deploySessionCluster({ ...spec, flinkOptions: { 'slot.request.timeout': `${AGE_MS} ms`, ...spec.flinkOptions } });
  }
}

/**
 * How long the holder keeps the slot once the preview's job is submitted: a cluster that fails
 * unfulfillable requests does so within one requirement check (50 ms after the job declares), and
 * the dying job in the soak let go of the slot within a second. Five seconds is both, on a loaded machine.
 */
const HOLD_MS = 5_000;

/**
 * The soak's race (bench/RESULTS.md): a preview's cleanup kills its TaskManager, the dying job asks
 * the ResourceManager for a slot again and gets the free one of the pool TaskManager another preview
 * has just claimed, and lets go of it once it has failed. The holder here is that dying job, made to
 * hold the slot at a known time: a job the pool does not count, on the one TaskManager it will hand out.
 */
describe('a preview whose claimed TaskManager\'s slot is held for a moment by a job the pool does not count', () => {
  let bed: FleetTestBed;
  let pool: string;
  beforeEach(() => {
    bed = fleetTestBed('slot-race', (stateDir) => new AgedSessionRuntime({ flinkHome: toolchain().flinkHome, stateDir, classArchives: toolchain().flinkClassArchives }));
    pool = `slot-race-${Date.now().toString(36)}`;
  });
  afterEach(async () => {
    await bed.withWorker(() => bed.client.stopPool(pool)).catch(() => undefined);
    await bed.cleanUp();
  });

  it('waits for the slot and gets its rows on a session cluster past its start-up period, instead of failing with NoResourceAvailableException', async () => {
    const fixture = poolFixture(bed, pool);
    await bed.withWorker(async () => {
      // One TaskManager and no room for another: the claim cannot be answered by a fresh one.
      await bed.client.startPool({ sessionCluster: pool, target: 1, maxTarget: 1, maxTaskManagers: 1, reconcileSeconds: 2 });
      await fixture.settled(1, 120_000);
      // Flink logs nothing when the start-up period ends; a settled pool's JobManager is older than this already.
      await sleep(AGE_MS);
      const observed = await bed.runtime.observe(sessionClusterRef(pool));
      assert.ok(observed.endpoints?.gatewayUrl, 'the session cluster has a SQL Gateway');
      const rest = new FlinkRestClient(observed.endpoints.restUrl);
      const gateway = new SqlGatewayClient(observed.endpoints.gatewayUrl);
      const session = await gateway.openSession({ 'pipeline.name': 'slot-holder' });
      try {
        await gateway.executeAndCollect(session, NUMBERS);
        await gateway.executeStatement(session, 'SELECT n FROM numbers');
        const holder = await waitUntil('the holder to run on the pool\'s TaskManager', async () => {
          const job = (await rest.jobs()).find((j) => j.name === 'slot-holder' && j.state === 'RUNNING');
          const taskManagers = job ? await taskManagersOfJob(rest, job.id) : [];
          return job && taskManagers.length > 0 ? { job, taskManagers } : undefined;
        }, { timeoutMs: 60_000, intervalMs: 250 });
        const stats = await bed.client.poolStats(pool);
        assert.deepEqual([stats.idle, stats.readyTaskManagers], [1, holder.taskManagers], 'the pool still offers the TaskManager whose slot the holder has');

        const stream = await bed.client.preview('acme', `${NUMBERS}; SELECT n FROM numbers`, { pool, maxRows: 5 });
        const submitted = await waitUntil('the preview\'s job to be submitted', async () => (await rest.jobs()).find((j) => j.name === stream.workflowId), { timeoutMs: 90_000, intervalMs: 100 });
        await sleep(HOLD_MS);
        const waiting = await rest.job(submitted.id);
        const failures = TERMINAL_JOB_STATES.includes(waiting.state) ? (await rest.jobExceptions(submitted.id)).failures.map((f) => f.rootCause) : [];
        assert.ok(!TERMINAL_JOB_STATES.includes(waiting.state), `the preview's job waits for a slot, not ${waiting.state}: ${failures.join('; ')}`);

        // The holder lets go of the slot, as the dying job does once it has failed.
        await rest.cancelJob(holder.job.id);
        const result = await stream.result();
        assert.equal(result.stoppedBecause, 'row-limit', result.error);
        assert.deepEqual(result.rows.map((r) => r.fields[0]), [1, 2, 3, 4, 5]);
        assert.deepEqual(result.taskManagerIds, holder.taskManagers, 'the preview ran on the slot the holder freed, and killed that TaskManager');
      } finally {
        await gateway.closeSession(session);
      }
      await fixture.settled(1, 120_000);
    });
  });
});
