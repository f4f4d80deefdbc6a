import assert from 'node:assert/strict';
import { waitUntil } from '../../activities/runtime/local/wait';
import { NUMBERS, startSharedPool, type PoolFixture } from './pool-fixture';

/** The preview timeout when the request gives none (workflows/preview/request.ts). */
const DEFAULT_TIMEOUT_MS = 120_000;

describe('a preview given no timeout (local runtime)', () => {
  let fixture: PoolFixture & { stop(): Promise<void> };
  before(async () => {
    fixture = await startSharedPool('preview-timeout', { target: 1, reconcileSeconds: 3 });
  });
  after(async () => {
    await fixture?.stop();
  });

  it('stops an unbounded query short of its row limit after two minutes, then its TaskManager is killed and replaced', async function () {
    this.timeout(DEFAULT_TIMEOUT_MS + 180_000);
    const before = await fixture.bed.client.poolStats(fixture.pool);
    // At 50 rows a second, about one row in 20 s: far below the default limit of 30 in two minutes.
    const stream = await fixture.bed.client.preview('acme', `${NUMBERS};\nSELECT n FROM numbers WHERE MOD(n, 1000) = 0`, { pool: fixture.pool });
    const result = await stream.result();
    assert.equal(result.stoppedBecause, 'timeout', result.error);
    assert.ok(result.timings.totalMs >= DEFAULT_TIMEOUT_MS, `ran ${result.timings.totalMs} ms, at least the default two minutes`);
    assert.ok(result.timings.totalMs < DEFAULT_TIMEOUT_MS + 60_000, `ran ${result.timings.totalMs} ms, not much longer than two minutes`);
    const values = result.rows.map((r) => r.fields[0]);
    assert.ok(values.length < 30, `${values.length} rows: the row limit was not what stopped it`);
    assert.deepEqual(values, values.map((_, i) => (i + 1) * 1000), 'the rows it had, in order');
    assert.equal(result.taskManagerIds.length, 1, 'a single-slot TaskManager ran it');
    const [used] = result.taskManagerIds as [string];
    assert.ok(before.readyTaskManagers.includes(used), `${used} came from the pool`);
    const rest = await fixture.rest();
    await waitUntil(`${used} to leave the JobManager`, async () => ((await rest.taskManagers()).some((t) => t.id === used) ? undefined : true), { timeoutMs: 60_000 });
    await fixture.settled(1, 90_000);
    const after = await fixture.bed.client.poolStats(fixture.pool);
    assert.equal(after.killed, before.killed + 1);
    assert.equal(after.readyTaskManagers.length, 1);
    assert.notEqual(after.readyTaskManagers[0], used, 'a new TaskManager replaced it');
  });
});
