import assert from 'node:assert/strict';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { FlinkRestClient } from '../../activities/flink/rest-client';
import { clusterName } from '../../activities/names';
import { waitUntil } from '../../activities/runtime/local/wait';
import type { PipelineStatus } from '../../workflows/pipeline/api';
import { fleetTestBed, type FleetTestBed } from '../harness/fleet';
import { temporalTestBed } from '../harness/global';
import { killClusterProcess, sqlPipeline } from './fixtures';

async function statusWhen(bed: FleetTestBed, tenant: string, name: string, what: string, test: (s: PipelineStatus) => boolean): Promise<PipelineStatus> {
  return waitUntil(`pipeline ${tenant}/${name}: ${what}`, async () => {
    const status = await bed.client.getPipeline(tenant, name);
    return test(status) ? status : undefined;
  }, { timeoutMs: 150_000, intervalMs: 500 });
}

describe('runPipeline through failures, cancels and long runs', () => {
  let bed: FleetTestBed;
  beforeEach(() => {
    bed = fleetTestBed('lifecycle');
  });
  afterEach(async () => {
    await bed.cleanUp();
  });

  it('restarts from its last checkpoint when a TaskManager or the JobManager dies, and fails past its budget', async function () {
    // Three cluster starts and two recoveries of real JVMs: 179 s alone at load 40, past mocha's 180 s default in a full run.
    this.timeout(600_000);
    const spec = sqlPipeline('acme', 'fragile', { restartBudget: { maxRestarts: 2, windowMinutes: 10 } });
    const error = await bed.withWorker(async () => {
      await bed.client.startPipeline(spec);
      for (const [restarts, victim] of [[1, 'taskmanager-1'], [2, 'jobmanager']] as const) {
        const running = await statusWhen(bed, 'acme', 'fragile', 'running', (s) => s.phase === 'Running' && s.restarts === restarts - 1);
        const jobId = running.jobId as string;
        await waitUntil('a completed checkpoint', () => bed.runtime.latestCheckpoint({ tenant: 'acme', name: 'fragile' }, jobId), { timeoutMs: 60_000 });
        killClusterProcess(bed.stateDir, clusterName('acme', 'fragile'), victim);
        const restarted = await statusWhen(bed, 'acme', 'fragile', `running after restart ${restarts}`, (s) => s.phase === 'Running' && s.restarts === restarts);
        assert.notEqual(restarted.jobId, jobId, 'a redeploy runs a new job');
        const { endpoints } = await bed.runtime.observe({ tenant: 'acme', name: 'fragile' });
        const { restored } = await new FlinkRestClient(endpoints?.restUrl as string).checkpoints(restarted.jobId as string);
        assert.ok(restored?.externalPath?.includes(`/checkpoints/${jobId}/chk-`), `restored from ${JSON.stringify(restored)}`);
      }
      killClusterProcess(bed.stateDir, clusterName('acme', 'fragile'), 'taskmanager-1');
      const failed = await bed.client.waitForPipeline('acme', 'fragile').then(() => undefined, (e: unknown) => e);
      assert.equal((await bed.client.getPipeline('acme', 'fragile')).phase, 'Failed');
      return failed;
    });
    assert.ok(error instanceof WorkflowFailedError && error.cause instanceof ApplicationFailure, String(error));
    assert.equal(error.cause.type, 'FlinkJobFailed');
    assert.match(error.cause.message, /after 2 restarts in 10 minutes: taskmanager-1 is not running/);
    assert.deepEqual(await bed.runtime.listClusters(), []);
  });

  it('stops the job and deletes the cluster when the workflow is cancelled, as the UI\'s Cancel does', async () => {
    const { env } = temporalTestBed();
    await bed.withWorker(async () => {
      const { workflowId } = await bed.client.startPipeline(sqlPipeline('acme', 'cancelled'));
      await statusWhen(bed, 'acme', 'cancelled', 'running', (s) => s.phase === 'Running');
      await env.client.workflow.getHandle(workflowId).cancel();
      await waitUntil('the workflow to be cancelled', async () => {
        const { status } = await env.client.workflow.getHandle(workflowId).describe();
        return status.name === 'CANCELLED' ? true : undefined;
      }, { timeoutMs: 60_000 });
      assert.equal((await bed.client.getPipeline('acme', 'cancelled')).phase, 'Stopped');
    });
    assert.deepEqual(await bed.runtime.listClusters(), []);
  });

  it('leaves a cluster behind when terminated, which the janitor then deletes while sparing a running pipeline\'s', async () => {
    const { env } = temporalTestBed();
    await bed.withWorker(async () => {
      const { workflowId } = await bed.client.startPipeline(sqlPipeline('acme', 'terminated'));
      await bed.client.startPipeline(sqlPipeline('acme', 'alive'));
      await statusWhen(bed, 'acme', 'terminated', 'running', (s) => s.phase === 'Running');
      await statusWhen(bed, 'acme', 'alive', 'running', (s) => s.phase === 'Running');
      await env.client.workflow.getHandle(workflowId).terminate('test: no cleanup possible');
      assert.deepEqual((await bed.runtime.listClusters()).map((c) => c.name).sort(), ['alive', 'terminated']);
      const { deleted } = await env.client.workflow.execute('collectOrphanClusters', {
        taskQueue: bed.taskQueue, workflowId: `janitor/test-${bed.taskQueue}`, args: [{ graceSeconds: 0 }],
      });
      assert.deepEqual(deleted, [{ tenant: 'acme', name: 'terminated', cluster: clusterName('acme', 'terminated'), owner: 'pipeline/acme/terminated' }]);
      assert.deepEqual((await bed.runtime.listClusters()).map((c) => c.name), ['alive']);
      await bed.client.stopPipeline('acme', 'alive', { savepoint: false, drain: false, wait: true });
    });
  });

  it('continues as new while running, carrying its job, and costs few events per quiet watch', async () => {
    const { env } = temporalTestBed();
    const workflowId = `pipeline/acme/long`;
    await bed.withWorker(async () => {
      const handle = await env.client.workflow.start('runPipeline', {
        taskQueue: bed.taskQueue, workflowId,
        args: [{ spec: sqlPipeline('acme', 'long'), watchBoundSeconds: 3, continueAsNewAfterWatches: 3 }],
      });
      const running = await statusWhen(bed, 'acme', 'long', 'running', (s) => s.phase === 'Running');
      await waitUntil('a continue-as-new', async () => {
        const { runId } = await env.client.workflow.getHandle(workflowId).describe();
        return runId !== handle.firstExecutionRunId ? runId : undefined;
      }, { timeoutMs: 60_000 });
      const carried = await bed.client.getPipeline('acme', 'long');
      assert.equal(carried.phase, 'Running');
      assert.equal(carried.jobId, running.jobId);
      const { events } = await env.client.workflow.getHandle(workflowId, handle.firstExecutionRunId).fetchHistory();
      const firstWatch = events?.findIndex((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'watchJob') ?? -1;
      const perWatch = ((events?.length ?? 0) - firstWatch) / 3;
      // The target: at most ~10 events per hour of steady running, i.e. per (hour-long) watch.
      assert.ok(perWatch <= 10, `${perWatch} events per quiet watch`);
      await bed.client.stopPipeline('acme', 'long', { savepoint: false, drain: false, wait: true });
    });
  });
});
