import assert from 'node:assert/strict';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { nextRowsUpdate, type PreviewResult, type PreviewRow } from '../../workflows/preview/api';
import { temporalTestBed } from '../harness/global';
import { NUMBERS, startSharedPool, type PoolFixture } from './pool-fixture';

type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];

async function eventsOf(workflowId: string): Promise<HistoryEvent[]> {
  return (await temporalTestBed().env.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
}

/** The event id at which `stopPreview`, the preview's cleanup, completed. */
function cleanupDoneAt(events: readonly HistoryEvent[]): number {
  const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'stopPreview');
  const done = events.find((e) => String(e.activityTaskCompletedEventAttributes?.scheduledEventId) === String(scheduled?.eventId));
  assert.ok(done, 'the preview ran its cleanup, stopPreview');
  return Number(done.eventId);
}

function updatesCompletedAt(events: readonly HistoryEvent[]): number[] {
  return events.filter((e) => e.workflowExecutionUpdateCompletedEventAttributes).map((e) => Number(e.eventId));
}

describe('preview rows through the nextRows long-poll (local runtime)', () => {
  let fixture: PoolFixture & { stop(): Promise<void> };
  before(async function () {
    // The shared pool waits up to 300 s for its cluster on a loaded machine (pool-fixture.ts).
    this.timeout(360_000);
    fixture = await startSharedPool('rows', { target: 1, reconcileSeconds: 3 });
  });
  after(async () => {
    await fixture?.stop();
  });

  it('streams 100 rows in order, each once, over several Updates, the first while the preview still runs', async () => {
    const stream = await fixture.bed.client.preview('acme', `${NUMBERS};\nSELECT n FROM numbers`, { pool: fixture.pool, maxRows: 100 });
    const handle = temporalTestBed().env.client.workflow.getHandle(stream.workflowId);
    const streamed: PreviewRow[] = [];
    let statusAtFirstRow: string | undefined;
    for await (const row of stream) {
      statusAtFirstRow ??= (await handle.describe()).status.name;
      streamed.push(row);
    }
    const result = await stream.result();
    assert.equal(result.stoppedBecause, 'row-limit', result.error);
    assert.deepEqual(streamed.map((r) => r.fields[0]), Array.from({ length: 100 }, (_, i) => i + 1));
    assert.deepEqual(streamed, result.rows);
    assert.equal(statusAtFirstRow, 'RUNNING', 'the first row reached the caller before the preview ended');
    // 100 rows at 50 a second come in pages over two seconds: a stream that waited for the end would take one.
    const updates = updatesCompletedAt(await eventsOf(stream.workflowId));
    assert.ok(updates.length >= 2, `${updates.length} nextRows Updates answered`);
    await fixture.settled(1, 90_000);
  });

  it('releases a caller waiting for a row when the preview times out without one, before its cleanup ends', async () => {
    const stream = await fixture.bed.client.preview('acme', `${NUMBERS};\nSELECT n FROM numbers WHERE n < 0`, { pool: fixture.pool, timeoutSeconds: 6 });
    const handle = temporalTestBed().env.client.workflow.getHandle(stream.workflowId);
    const page = await handle.executeUpdate(nextRowsUpdate, { args: [0] });
    assert.deepEqual({ rows: page.rows, next: page.next, done: page.done }, { rows: [], next: 0, done: true });
    const result = await stream.result();
    assert.equal(result.stoppedBecause, 'timeout', result.error);
    const events = await eventsOf(stream.workflowId);
    const [released] = updatesCompletedAt(events);
    assert.ok(released !== undefined && released < cleanupDoneAt(events), `the Update (event ${released}) answered before the cleanup completed (event ${cleanupDoneAt(events)})`);
    await fixture.settled(1, 90_000);
  });

  it('releases a caller waiting for a row when the preview fails, and its stream ends with no row', async () => {
    const stream = await fixture.bed.client.preview('acme', `${NUMBERS};\nSELECT n FROM numbers`, { pool: 'no-such-pool' });
    const handle = temporalTestBed().env.client.workflow.getHandle(stream.workflowId);
    const page = await handle.executeUpdate(nextRowsUpdate, { args: [0] });
    assert.deepEqual({ rows: page.rows, done: page.done }, { rows: [], done: true });
    const streamed: PreviewRow[] = [];
    for await (const row of stream) streamed.push(row);
    const result: PreviewResult = await stream.result();
    assert.deepEqual(streamed, []);
    assert.equal(result.stoppedBecause, 'error');
    assert.match(result.error ?? '', /no-such-pool/);
  });

  it('refuses an Update for a negative offset, naming it, without a history event', async () => {
    const stream = await fixture.bed.client.preview('acme', `${NUMBERS};\nSELECT n FROM numbers`, { pool: fixture.pool, maxRows: 5 });
    const handle = temporalTestBed().env.client.workflow.getHandle(stream.workflowId);
    await assert.rejects(handle.executeUpdate(nextRowsUpdate, { args: [-1] }), (error: unknown) => {
      assert.ok(error instanceof WorkflowUpdateFailedError);
      assert.match(error.cause?.message ?? '', /nextRows takes a row offset, a whole number from 0, not -1/);
      return true;
    });
    const result = await stream.result();
    assert.equal(result.stoppedBecause, 'row-limit', result.error);
    const events = await eventsOf(stream.workflowId);
    assert.equal(events.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes).length, 0, 'a rejected Update leaves no trace in history');
    await fixture.settled(1, 90_000);
  });
});
