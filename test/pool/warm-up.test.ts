import assert from 'node:assert/strict';
import { SqlGatewayClient } from '../../activities/flink/sql-gateway-client';
import { waitUntil } from '../../activities/runtime/local/wait';
import { FLEET_TENANT, poolWorkflowId, sessionClusterRef } from '../../workflows/pool/api';
import { roleLogs, type RoleLogs } from '../harness/flink-logs';
import { completedActivitiesOf } from '../harness/history';
import { startSharedPool, type PoolFixture } from '../preview/pool-fixture';

const TARGET = 2;

interface GatewaySession {
  readonly id: string;
  /** The gateway's own count of open sessions once this one was open. */
  readonly openAlongside: number;
  readonly closed: boolean;
}

/**
 * The sessions the gateway opened and closed, as its SessionManagerImpl logs them: its REST API has no
 * way to list sessions, and its log is where it states how many are open.
 */
function gatewaySessions(fixture: PoolFixture): GatewaySession[] {
  const { text } = gatewayLogs(fixture);
  const closed = new Set([...text.matchAll(/Session: ([0-9a-f-]{36}) is closed\./g)].map((m) => m[1]));
  return [...text.matchAll(/Session ([0-9a-f-]{36}) is opened, and the number of current sessions is (\d+)\./g)]
    .map((m) => ({ id: m[1] as string, openAlongside: Number(m[2]), closed: closed.has(m[1]) }));
}

function gatewayLogs(fixture: PoolFixture): RoleLogs {
  return roleLogs(fixture.bed.stateDir, FLEET_TENANT, fixture.pool, 'sql-gateway');
}

describe('a new pool warms its session cluster\'s SQL Gateway (local runtime)', () => {
  let fixture: PoolFixture & { stop(): Promise<void> };
  before(async function () {
    this.timeout(480_000); // above the pool's start (up to 300 s) and the warm-up's wait
    fixture = await startSharedPool('warm-up', { target: TARGET, reconcileSeconds: 2 });
    // It runs beside the TaskManagers' start, so a settled pool may still be warming up.
    const handle = fixture.bed.client.temporal.workflow.getHandle(poolWorkflowId(fixture.pool));
    await waitUntil('the warm-up to complete in the pool\'s history', async () => {
      const done = (await completedActivitiesOf(handle)).filter((a) => a.activity === 'warmUpSessionCluster');
      return done.length > 0 ? done : undefined;
    }, { timeoutMs: 120_000, intervalMs: 250 });
  });
  after(async () => {
    await fixture?.stop();
  });

  it('opens one gateway session for it, before any preview, and closes it', async () => {
    // The warm-up closed its session before it completed; the log line is written by the gateway's own thread.
    const sessions = await waitUntil('the gateway to log a closed session', async () => {
      const logged = gatewaySessions(fixture);
      return logged.some((s) => s.closed) ? logged : undefined;
    }, { timeoutMs: 30_000, intervalMs: 250 }).catch(async (error: unknown) => {
      const activities = await completedActivitiesOf(fixture.bed.client.temporal.workflow.getHandle(poolWorkflowId(fixture.pool)));
      throw new Error(`${String(error)}; gateway logs: ${JSON.stringify(gatewayLogs(fixture).files)}; the pool completed: ${activities.map((a) => a.activity).join(', ')}`);
    });
    assert.equal(sessions.length, 1, `no preview ran, so the warm-up's is the only session: ${JSON.stringify(sessions)}`);
    assert.deepEqual(sessions.map((s) => ({ openAlongside: s.openAlongside, closed: s.closed })), [{ openAlongside: 1, closed: true }]);
  });

  it('leaves no session open, runs no job and uses no pool TaskManager', async () => {
    const observed = await fixture.bed.runtime.observe(sessionClusterRef(fixture.pool));
    const gateway = new SqlGatewayClient(observed.endpoints?.gatewayUrl ?? assert.fail('the session cluster has no gateway'));
    const probe = await gateway.openSession();
    try {
      const seen = await waitUntil('the gateway to log the probe\'s session', async () => gatewaySessions(fixture).find((s) => s.id === probe), { timeoutMs: 30_000, intervalMs: 100 });
      assert.equal(seen.openAlongside, 1, 'the probe is the only session open on the gateway');
    } finally {
      await gateway.closeSession(probe);
    }
    const rest = await fixture.rest();
    assert.deepEqual(await rest.jobs(), [], 'the JobManager never ran a job');
    const stats = await fixture.bed.client.poolStats(fixture.pool);
    assert.equal(stats.idle, TARGET);
    const registered = await rest.taskManagers();
    assert.deepEqual(registered.map((t) => t.id).sort(), [...stats.readyTaskManagers].sort(), 'the JobManager knows exactly the pool\'s idle TaskManagers');
    for (const t of registered) assert.equal(t.freeSlots, t.slotsNumber, `${t.id} has every slot free`);
  });
});
