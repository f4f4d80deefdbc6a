import assert from 'node:assert/strict';
import { ScheduleNotFoundError, type ScheduleHandle } from '@temporalio/client';
import { clusterName } from '../../activities/names';
import { waitUntil } from '../../activities/runtime/local/wait';
import { DEFAULT_JANITOR_GRACE_SECONDS, ensureJanitorSchedule } from '../../client/janitor-schedule';
import { janitorScheduleId, type OrphanCluster } from '../../workflows/janitor/types';
import { pipelineWorkflowId } from '../../workflows/pipeline/spec';
import { fleetTestBed, type FleetTestBed } from '../harness/fleet';
import { temporalTestBed } from '../harness/global';
import { workerProcesses } from '../harness/worker-process';
import { sqlPipeline } from './fixtures';

/** The grace period the worker of the deletion test gives its schedule: younger clusters are spared. */
const GRACE_MS = 10_000;

async function running(bed: FleetTestBed, name: string): Promise<void> {
  await waitUntil(`acme/${name} to run`, async () => ((await bed.client.getPipeline('acme', name)).phase === 'Running' ? true : undefined),
    { timeoutMs: 180_000, intervalMs: 500 });
}

/** The schedule lives in Temporal, not with the test's processes: removed so no janitor is started for a dead queue. */
async function deleteSchedule(schedule: ScheduleHandle): Promise<void> {
  await schedule.delete().catch((error: unknown) => {
    if (!(error instanceof ScheduleNotFoundError)) throw error;
  });
}

describe('the janitor, run by the schedule its worker creates', () => {
  let bed: FleetTestBed;
  let workers: ReturnType<typeof workerProcesses>;
  const schedule = (queue = bed.taskQueue): ScheduleHandle => temporalTestBed().env.client.schedule.getHandle(janitorScheduleId(queue));
  beforeEach(() => {
    bed = fleetTestBed('janitor');
    workers = workerProcesses(bed);
  });
  afterEach(async () => {
    // Its task queue dies with this test; left behind, it would start janitors nobody runs.
    await deleteSchedule(schedule());
    await deleteSchedule(schedule(`${bed.taskQueue}-other`));
    await workers.stopAll();
    await bed.cleanUp();
  });

  it('is created once per task queue at worker start; a second creation changes nothing but another grace period', async () => {
    workers.start();
    const created = await waitUntil('the janitor schedule', () => schedule().describe().catch(() => undefined), { timeoutMs: 60_000, intervalMs: 500 });
    assert.equal(created.action.type, 'startWorkflow');
    assert.equal(created.action.workflowType, 'collectOrphanClusters');
    assert.equal(created.action.taskQueue, bed.taskQueue);
    assert.deepEqual(created.action.args, [{ graceSeconds: DEFAULT_JANITOR_GRACE_SECONDS }]);
    await ensureJanitorSchedule(temporalTestBed().env.client, bed.taskQueue);
    const again = await schedule().describe();
    assert.equal(again.info.createdAt.getTime(), created.info.createdAt.getTime());
    assert.equal(again.info.lastUpdatedAt?.getTime(), created.info.lastUpdatedAt?.getTime());
    await ensureJanitorSchedule(temporalTestBed().env.client, bed.taskQueue, 30);
    const updated = await schedule().describe();
    assert.equal(updated.info.createdAt.getTime(), created.info.createdAt.getTime());
    assert.deepEqual(updated.action.type === 'startWorkflow' ? updated.action.args : undefined, [{ graceSeconds: 30 }]);
    // Another fleet in the same namespace gets a janitor of its own.
    await ensureJanitorSchedule(temporalTestBed().env.client, `${bed.taskQueue}-other`);
    const other = await schedule(`${bed.taskQueue}-other`).describe();
    assert.equal(other.action.type === 'startWorkflow' ? other.action.taskQueue : undefined, `${bed.taskQueue}-other`);
    assert.equal((await schedule().describe()).action.taskQueue, bed.taskQueue);
  });

  it('deletes, when triggered, the cluster of a terminated pipeline and spares a running pipeline\'s', async function () {
    this.timeout(480_000);
    const { env } = temporalTestBed();
    workers.start({ FLEET_JANITOR_GRACE_SECONDS: String(GRACE_MS / 1_000) });
    await waitUntil('the janitor schedule', () => schedule().describe().catch(() => undefined), { timeoutMs: 60_000, intervalMs: 500 });
    await bed.client.startPipeline(sqlPipeline('acme', 'orphan'));
    await bed.client.startPipeline(sqlPipeline('acme', 'kept'));
    await running(bed, 'orphan');
    await running(bed, 'kept');
    await env.client.workflow.getHandle(pipelineWorkflowId('acme', 'orphan')).terminate('test: its cleanup never runs');
    const clusters = await bed.runtime.listClusters();
    assert.deepEqual(clusters.map((c) => c.name).sort(), ['kept', 'orphan']);
    const kept = clusters.find((c) => c.name === 'kept');
    // The janitor spares clusters younger than its grace period; wait that out, then trigger it.
    const oldEnough = Math.max(...clusters.map((c) => Date.parse(c.createdAt))) + GRACE_MS + 2_000;
    await waitUntil('both clusters to outlive the grace period', async () => (Date.now() > oldEnough ? true : undefined), { timeoutMs: GRACE_MS + 60_000, intervalMs: 1_000 });
    const triggeredAt = Date.now();
    await schedule().trigger();
    const triggered = await waitUntil('the schedule to start a janitor', async () => {
      const { info } = await schedule().describe();
      return info.recentActions.find((a) => a.takenAt.getTime() >= triggeredAt - 1_000);
    }, { timeoutMs: 60_000, intervalMs: 500 });
    await env.client.workflow.getHandle(triggered.action.workflow.workflowId, triggered.action.workflow.firstExecutionRunId).result();
    // The schedule's own interval may have fired too, even alongside the trigger (which overlaps by
    // default), and then both janitors report the orphan; together they deleted exactly the orphan.
    const { info } = await schedule().describe();
    const deleted = new Map<string, OrphanCluster>();
    for (const { action } of info.recentActions) {
      const janitor = env.client.workflow.getHandle(action.workflow.workflowId, action.workflow.firstExecutionRunId);
      assert.equal((await janitor.describe()).typedSearchAttributes.get({ name: 'TemporalScheduledById', type: 'KEYWORD' }), janitorScheduleId(bed.taskQueue));
      for (const orphan of (await janitor.result() as { deleted: OrphanCluster[] }).deleted) deleted.set(orphan.cluster, orphan);
    }
    assert.deepEqual([...deleted.values()], [{ tenant: 'acme', name: 'orphan', cluster: clusterName('acme', 'orphan'), owner: pipelineWorkflowId('acme', 'orphan') }]);
    assert.deepEqual(await bed.runtime.listClusters(), [kept]);
    assert.equal((await bed.client.getPipeline('acme', 'kept')).phase, 'Running');
    const result = await bed.client.stopPipeline('acme', 'kept', { savepoint: false, drain: false, wait: true });
    assert.equal(result?.finalState, 'Stopped');
    assert.deepEqual(await bed.runtime.listClusters(), []);
  });
});
