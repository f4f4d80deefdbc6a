import assert from 'node:assert/strict';
import { waitUntil } from '../../activities/runtime/local/wait';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { FleetError } from '../../client/errors';
import type { PreviewRow } from '../../workflows/preview/api';
import { temporalTestBed } from '../harness/global';
import { DATAGEN, fileOptions } from './hostile-scripts';
import { NUMBERS, startSharedPool, type PoolFixture } from './pool-fixture';

const FIVE = "CREATE TEMPORARY TABLE five (n BIGINT) WITH ('connector' = 'datagen', 'number-of-rows' = '5', 'fields.n.kind' = 'sequence', 'fields.n.start' = '1', 'fields.n.end' = '5')";
const SLOW = "CREATE TEMPORARY TABLE slow (n BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '1')";

describe('preview on a warm pool (local runtime)', () => {
  let fixture: PoolFixture & { stop(): Promise<void> };
  before(async function () {
    // The shared pool waits up to 300 s for its cluster on a loaded machine (pool-fixture.ts).
    this.timeout(360_000);
    fixture = await startSharedPool('preview', { target: 2, reconcileSeconds: 3 });
  });
  after(async () => {
    await fixture?.stop();
  });

  async function registered(): Promise<string[]> {
    return (await (await fixture.rest()).taskManagers()).map((t) => t.id);
  }

  it('returns 30 rows from datagen, streamed in order, then its TaskManager is gone and the pool is back to target', async () => {
    const stream = await fixture.bed.client.preview('acme', `${NUMBERS};\nSELECT n FROM numbers`, { pool: fixture.pool });
    const streamed: PreviewRow[] = [];
    for await (const row of stream) streamed.push(row);
    const result = await stream.result();
    assert.equal(result.stoppedBecause, 'row-limit', result.error);
    assert.deepEqual(result.rows.map((r) => r.fields[0]), Array.from({ length: 30 }, (_, i) => i + 1));
    assert.deepEqual(streamed, result.rows);
    assert.deepEqual(result.columns, [{ name: 'n', type: 'BIGINT' }]);
    assert.equal(result.taskManagerIds.length, 1);
    const { claimMs, firstRowMs, totalMs } = result.timings;
    assert.ok(claimMs !== undefined && firstRowMs !== undefined && claimMs <= firstRowMs && firstRowMs <= totalMs,
      `the claim (${claimMs} ms), then the first row (${firstRowMs} ms), within the whole (${totalMs} ms)`);
    assert.equal(result.timings.claimHit, true, 'an idle TaskManager was waiting for the claim');
    const [used] = result.taskManagerIds;
    await waitUntil(`${used} to leave the JobManager`, async () => ((await registered()).includes(used as string) ? undefined : true), { timeoutMs: 30_000 });
    await fixture.settled(2, 60_000);
  });

  it('reports where its first row\'s time went: inspection, grant, query start, session and DDL, job id, first row at the activity, then in the workflow', async () => {
    const started = Date.now();
    const result = await (await fixture.bed.client.preview('acme', `${NUMBERS};\nSELECT n FROM numbers`, { pool: fixture.pool, maxRows: 5 })).result();
    assert.equal(result.stoppedBecause, 'row-limit', result.error);
    const { claimMs, firstRowMs, phases } = result.timings;
    assert.ok(phases, 'the result carries the phases');
    const instants = [phases.inspectedMs, claimMs, phases.queryStartedMs, phases.sessionReadyMs, phases.jobIdMs, phases.activityFirstRowMs, firstRowMs];
    assert.ok(instants.every((t) => t !== undefined && t >= 0), `every phase was reached: ${JSON.stringify(instants)}`);
    // The activity's first row is the one the workflow admits next, after a signal: never later than the workflow's.
    assert.deepEqual([...instants].sort((a, b) => (a as number) - (b as number)), instants, `in the order the preview goes through them: ${JSON.stringify(instants)}`);
    assert.ok(phases.startedAt >= started && phases.startedAt <= Date.now(), `the start, ${phases.startedAt}, is an instant of this host's clock between the call (${started}) and now`);
    await fixture.settled(2, 60_000);
  });

  it('stops at the timeout on a slow source, with the rows it had', async () => {
    // The timeout counts from the preview's start: on a loaded machine the job alone has taken over 8 s to give its first row.
    const stream = await fixture.bed.client.preview('acme', `${SLOW}; SELECT n FROM slow`, { pool: fixture.pool, maxRows: 1000, timeoutSeconds: 30 });
    const result = await stream.result();
    assert.equal(result.stoppedBecause, 'timeout');
    assert.ok(result.rows.length > 0 && result.rows.length < 40, `${result.rows.length} rows in 30 s at 1 per second`);
    assert.ok(result.timings.totalMs >= 30_000);
    await fixture.settled(2, 60_000);
  });

  it('ends a bounded source with end-of-data', async () => {
    const result = await (await fixture.bed.client.preview('acme', `${FIVE}; SELECT n FROM five`, { pool: fixture.pool })).result();
    assert.equal(result.stoppedBecause, 'end-of-data');
    assert.deepEqual(result.rows.map((r) => r.fields[0]), [1, 2, 3, 4, 5]);
    await fixture.settled(2, 60_000);
  });

  it('returns a BIGINT beyond 2^53 exactly, from the gateway through the workflow to the client', async () => {
    const stream = await fixture.bed.client.preview('acme', 'SELECT CAST(9007199254740993 AS BIGINT) AS big, CAST(7 AS BIGINT) AS small', { pool: fixture.pool });
    const streamed: PreviewRow[] = [];
    for await (const row of stream) streamed.push(row);
    const result = await stream.result();
    assert.equal(result.stoppedBecause, 'end-of-data', result.error);
    assert.deepEqual(result.columns, [{ name: 'big', type: 'BIGINT' }, { name: 'small', type: 'BIGINT' }]);
    assert.deepEqual(streamed.map((r) => r.fields), [['9007199254740993', 7]]);
    await fixture.settled(2, 60_000);
  });

  it('refuses SQL Flink cannot plan with Flink\'s own message, before claiming anything', async () => {
    const before = await fixture.bed.client.poolStats(fixture.pool);
    const stream = await fixture.bed.client.preview('acme', 'SELECT nope FROM missing_table', { pool: fixture.pool });
    await assert.rejects(stream.result(), (error: unknown) => error instanceof FleetError && /Object 'missing_table' not found/.test(error.message));
    const after = await fixture.bed.client.poolStats(fixture.pool);
    assert.deepEqual([after.hits, after.misses, after.busy], [before.hits, before.misses, 0]);
  });

  it('runs two previews at once on two different TaskManagers', async () => {
    const sql = `${NUMBERS}; SELECT n FROM numbers`;
    const streams = await Promise.all([1, 2].map(() => fixture.bed.client.preview('acme', sql, { pool: fixture.pool, maxRows: 100 })));
    const results = await Promise.all(streams.map((s) => s.result()));
    assert.deepEqual(results.map((r) => r.stoppedBecause), ['row-limit', 'row-limit']);
    const [first, second] = results.map((r) => r.taskManagerIds);
    assert.equal(first?.length, 1);
    assert.equal(second?.length, 1);
    assert.notEqual(first?.[0], second?.[0]);
    await fixture.settled(2, 90_000);
  });

  it('refuses ADD JAR in the workflow, naming the statement, without claiming anything', async () => {
    const before = await fixture.bed.client.poolStats(fixture.pool);
    const stream = await fixture.bed.client.preview('acme', "ADD JAR '/tmp/evil.jar';\nSELECT 1", { pool: fixture.pool });
    const streamed: PreviewRow[] = [];
    // As the CLI reads it: the rows end (none), then the result says why.
    await assert.rejects(async () => {
      for await (const row of stream) streamed.push(row);
      await stream.result();
    }, (error: unknown) => {
      assert.ok(error instanceof FleetError);
      assert.equal(error.type, 'InvalidSpec');
      assert.match(error.message, /statement 1 \(line 1: ADD JAR '\/tmp\/evil\.jar';\) is not allowed: jars bring code into the shared cluster/);
      return true;
    });
    assert.deepEqual(streamed, []);
    const after = await fixture.bed.client.poolStats(fixture.pool);
    assert.deepEqual([after.hits, after.misses, after.busy], [before.hits, before.misses, 0]);
  });

  it('fails a hinted read of the machine\'s files with InvalidPreview, once, claiming no TaskManager', async () => {
    const before = await fixture.bed.client.poolStats(fixture.pool);
    const sql = `${DATAGEN};\nSELECT line FROM t /*+ OPTIONS(${fileOptions('/etc/passwd')}) */`;
    const stream = await fixture.bed.client.preview('acme', sql, { pool: fixture.pool });
    const failure = await temporalTestBed().env.client.workflow.getHandle(stream.workflowId).result().then(() => undefined, (error: unknown) => error);
    assert.ok(failure instanceof WorkflowFailedError && failure.cause instanceof ApplicationFailure, String(failure));
    assert.equal(failure.cause.type, 'InvalidPreview');
    assert.equal(failure.cause.nonRetryable, true);
    assert.match(failure.cause.message, /^request\.sql: statement 2 \(line 2: SELECT line FROM t .*it reads default_catalog\.default_database\.t through connector 'filesystem'/);
    const after = await fixture.bed.client.poolStats(fixture.pool);
    assert.deepEqual([after.hits, after.misses, after.busy, after.idle], [before.hits, before.misses, 0, before.idle]);
    const history = await temporalTestBed().env.client.workflow.getHandle(stream.workflowId).fetchHistory();
    const activities = (history.events ?? []).flatMap((e) => (e.activityTaskScheduledEventAttributes?.activityType?.name ? [e.activityTaskScheduledEventAttributes.activityType.name] : []));
    assert.deepEqual(activities, ['inspectSql']);
  });
});
