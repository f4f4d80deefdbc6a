import assert from 'node:assert/strict';
import { FlinkRestClient } from '../../activities/flink/rest-client';
import { clusterName } from '../../activities/names';
import { clusterLayout } from '../../activities/runtime/local/layout';
import { isRunning, listPids } from '../../activities/runtime/local/processes';
import { waitUntil } from '../../activities/runtime/local/wait';
import { FleetError } from '../../client/errors';
import type { PipelineStatus } from '../../workflows/pipeline/api';
import { pipelineWorkflowId } from '../../workflows/pipeline/spec';
import { runCli } from '../harness/cli';
import { fleetTestBed, type FleetTestBed } from '../harness/fleet';
import { temporalTestBed } from '../harness/global';
import { completedActivitiesOf, phasesOf } from '../harness/history';
import { sqlPipeline } from './fixtures';

const TENANT = 'acme';

async function statusWhen(bed: FleetTestBed, name: string, what: string, test: (s: PipelineStatus) => boolean): Promise<PipelineStatus> {
  return waitUntil(`pipeline ${TENANT}/${name}: ${what}`, async () => {
    const status = await bed.client.getPipeline(TENANT, name);
    return test(status) ? status : undefined;
  }, { timeoutMs: 180_000, intervalMs: 500 });
}

/** What the cluster is made of now: Flink's view of the job, and the processes the runtime runs. */
async function clusterNow(bed: FleetTestBed, name: string, jobId: string) {
  const observed = await bed.runtime.observe({ tenant: TENANT, name });
  const flink = new FlinkRestClient(observed.endpoints?.restUrl as string);
  const job = await flink.job(jobId);
  const pids = listPids(clusterLayout(bed.stateDir, clusterName(TENANT, name)).dir);
  return {
    state: job.state,
    vertexParallelism: job.vertices.map((v) => v.parallelism),
    jobManagerPid: pids.get('jobmanager'),
    taskManagerProcesses: observed.processes.filter((p) => p.role === 'taskmanager' && p.alive).map((p) => p.name).sort(),
    createdAt: (await bed.runtime.listClusters()).map((c) => c.createdAt),
    flink,
  };
}

async function rescaleRefusal(call: Promise<unknown>): Promise<FleetError> {
  const error = await call.then(() => assert.fail('the rescale was accepted'), (e: unknown) => e);
  assert.ok(error instanceof FleetError, String(error));
  return error;
}

describe('rescaling a running pipeline in place', function () {
  // Each test is a sequence of JVM starts and Flink rescales: on a loaded machine the first one, with cold JVMs, took over 180 s.
  this.timeout(600_000);
  let bed: FleetTestBed;
  beforeEach(() => {
    bed = fleetTestBed('rescale');
  });
  afterEach(async () => {
    await bed.cleanUp();
  });

  it('rescales up and down with the same job id and JobManager, starting and removing TaskManagers, and keeps the parallelism through a restart', async () => {
    const name = 'elastic';
    const cluster = clusterName(TENANT, name);
    await bed.withWorker(async () => {
      await bed.client.startPipeline(sqlPipeline(TENANT, name, { parallelism: 1 }));
      const running = await statusWhen(bed, name, 'Running', (s) => s.phase === 'Running');
      assert.equal(running.parallelism, 1);
      const jobId = running.jobId as string;
      const before = await clusterNow(bed, name, jobId);
      assert.deepEqual(before.vertexParallelism, [1, 1]);
      assert.deepEqual(before.taskManagerProcesses, ['taskmanager-1']);

      for (const [parallelism, rule] of [[0, 'must be at least 1'], [65, 'must be at most 64'], [2.5, 'must be a whole number']] as const) {
        const refused = await rescaleRefusal(bed.client.rescalePipeline(TENANT, name, parallelism));
        assert.equal(refused.type, 'InvalidSpec');
        assert.equal(refused.message, `invalid rescale of pipeline ${TENANT}/${name}: parallelism: ${rule}`);
      }

      const up = await bed.client.rescalePipeline(TENANT, name, 2);
      assert.deepEqual(up, { jobId, previousParallelism: 1, parallelism: 2 });
      const scaledUp = await clusterNow(bed, name, jobId);
      assert.equal(scaledUp.state, 'RUNNING');
      assert.deepEqual(scaledUp.vertexParallelism, [2, 2]);
      assert.equal(scaledUp.jobManagerPid, before.jobManagerPid, 'the same JobManager process');
      assert.deepEqual(scaledUp.createdAt, before.createdAt, 'the same cluster, not a new one');
      assert.deepEqual(scaledUp.taskManagerProcesses, ['taskmanager-1', 'taskmanager-2']);
      assert.equal((await scaledUp.flink.taskManagers()).length, 2);
      const afterUp = await bed.client.getPipeline(TENANT, name);
      assert.deepEqual([afterUp.phase, afterUp.jobId, afterUp.parallelism, afterUp.targetParallelism, afterUp.restarts], ['Running', jobId, 2, 2, 0]);

      // A JobManager that dies after the rescale: the redeploy from the checkpoint runs at 2, not at the spec's first 1.
      await waitUntil('a completed checkpoint', () => bed.runtime.latestCheckpoint({ tenant: TENANT, name }, jobId), { timeoutMs: 60_000 });
      const jobManager = scaledUp.jobManagerPid as number;
      assert.ok(isRunning(jobManager));
      process.kill(jobManager, 'SIGKILL');
      const restarted = await statusWhen(bed, name, 'Running after a restart', (s) => s.phase === 'Running' && s.restarts === 1);
      assert.notEqual(restarted.jobId, jobId);
      assert.equal(restarted.parallelism, 2);
      const redeployed = await clusterNow(bed, name, restarted.jobId as string);
      assert.deepEqual(redeployed.vertexParallelism, [2, 2]);
      assert.deepEqual(redeployed.taskManagerProcesses, ['taskmanager-1', 'taskmanager-2']);

      const down = await bed.client.rescalePipeline(TENANT, name, 1);
      assert.deepEqual(down, { jobId: restarted.jobId, previousParallelism: 2, parallelism: 1 });
      const scaledDown = await clusterNow(bed, name, restarted.jobId as string);
      assert.equal(scaledDown.state, 'RUNNING');
      assert.deepEqual(scaledDown.vertexParallelism, [1, 1]);
      assert.equal(scaledDown.jobManagerPid, redeployed.jobManagerPid, 'the same JobManager process');
      assert.equal(scaledDown.taskManagerProcesses.length, 1, 'the TaskManager the job no longer needs is gone');
      await waitUntil('Flink to see one TaskManager', async () => ((await scaledDown.flink.taskManagers()).length === 1 ? true : undefined), { timeoutMs: 60_000 });
      const afterDown = await bed.client.getPipeline(TENANT, name);
      assert.deepEqual([afterDown.phase, afterDown.parallelism, afterDown.targetParallelism, afterDown.restarts], ['Running', 1, 1, 1]);

      await bed.client.stopPipeline(TENANT, name, { savepoint: false, drain: false, wait: true });
      const stopped = await rescaleRefusal(bed.client.rescalePipeline(TENANT, name, 2));
      assert.equal(stopped.type, 'NotRunning');
      assert.equal(stopped.message, `pipeline ${TENANT}/${name} is Stopped, not Running: only a running job can be rescaled`);
    });
    // One deployment before the JobManager died and one after: the rescales themselves deployed nothing.
    assert.deepEqual(await phasesOf(temporalTestBed().env.client.workflow.getHandle(pipelineWorkflowId(TENANT, name))), [
      'Validating', 'EnsuringTenant', 'Deploying', 'Starting', 'Running', 'Restarting', 'Deploying', 'Starting', 'Running', 'Stopping', 'CleaningUp', 'Stopped',
    ]);
    assert.deepEqual(await bed.runtime.listClusters(), [], `${cluster} is gone`);
  });

  it('carries the new parallelism into the next run when it continues as new, even with the rescale still in flight', async () => {
    const name = 'carried';
    const { env } = temporalTestBed();
    await bed.withWorker(async () => {
      // A new run after every quiet second: the rescale (seconds of TaskManager start and Flink's rescale) spans several.
      const handle = await env.client.workflow.start('runPipeline', {
        taskQueue: bed.taskQueue, workflowId: pipelineWorkflowId(TENANT, name),
        args: [{ spec: sqlPipeline(TENANT, name), watchBoundSeconds: 1, continueAsNewAfterWatches: 1 }],
      });
      const { jobId } = await statusWhen(bed, name, 'Running', (s) => s.phase === 'Running');
      await bed.client.rescalePipeline(TENANT, name, 2);
      const { runId } = await env.client.workflow.getHandle(pipelineWorkflowId(TENANT, name)).describe();
      await waitUntil('a run after the rescale', async () => {
        const now = await env.client.workflow.getHandle(pipelineWorkflowId(TENANT, name)).describe();
        return now.runId !== runId ? true : undefined;
      }, { timeoutMs: 60_000 });
      const carried = await bed.client.getPipeline(TENANT, name);
      assert.notEqual((await env.client.workflow.getHandle(pipelineWorkflowId(TENANT, name)).describe()).runId, handle.firstExecutionRunId);
      assert.deepEqual([carried.phase, carried.jobId, carried.parallelism, carried.targetParallelism], ['Running', jobId, 2, 2]);
      await bed.client.stopPipeline(TENANT, name, { savepoint: false, drain: false, wait: true });
    });
  });

  it('serves a stop that arrives while a run waits for a rescale to hand over to the next run, in that run', async () => {
    const name = 'stopped-at-handover';
    const { env } = temporalTestBed();
    await bed.withWorker(async () => {
      await env.client.workflow.start('runPipeline', {
        taskQueue: bed.taskQueue, workflowId: pipelineWorkflowId(TENANT, name),
        args: [{ spec: sqlPipeline(TENANT, name), watchBoundSeconds: 1, continueAsNewAfterWatches: 1 }],
      });
      const { jobId } = await statusWhen(bed, name, 'Running', (s) => s.phase === 'Running');
      const rescaled = bed.client.rescalePipeline(TENANT, name, 2);
      // The window: a run whose watch came back quiet (so it is done) but which still runs, because the
      // rescale it accepted is in flight.
      const handingOver = await waitUntil('a run waiting for its rescale to hand over', async () => {
        const { runId, status } = await env.client.workflow.getHandle(pipelineWorkflowId(TENANT, name)).describe();
        if (status.name !== 'RUNNING') return undefined;
        const done = (await completedActivitiesOf(env.client.workflow.getHandle(pipelineWorkflowId(TENANT, name), runId))).map((a) => a.activity);
        const rescaling = (await bed.client.getPipeline(TENANT, name)).targetParallelism === 2;
        return rescaling && done.includes('watchJob') && !done.includes('rescaleJob') ? runId : undefined;
      }, { timeoutMs: 120_000, intervalMs: 100 });

      const result = await bed.client.stopPipeline(TENANT, name, { savepoint: true, drain: false, wait: true });
      assert.equal(result?.finalState, 'Stopped');
      assert.ok(result?.savepointPath, 'the stop took its savepoint');
      assert.deepEqual(await rescaled, { jobId, previousParallelism: 1, parallelism: 2 });
      const last = await env.client.workflow.getHandle(pipelineWorkflowId(TENANT, name)).describe();
      assert.equal(last.runId, handingOver, 'the run that held the stop served it');
    });
    assert.deepEqual(await bed.runtime.listClusters(), []);
  });

  it('lets an autoscaler policy scale an idle pipeline down by its own load, with the decision and its reason in the status and the Temporal UI', async () => {
    const name = 'autoscaled';
    // 20 rows a second keep the sink nearly idle: two quiet looks in a row ask for the policy's minimum.
    const autoscaler = { minParallelism: 1, maxParallelism: 2, intervalSeconds: 5, window: 2, stabilizationSeconds: 0 };
    await bed.withWorker(async () => {
      await bed.client.startPipeline(sqlPipeline(TENANT, name, { parallelism: 2, autoscaler }));
      const { jobId } = await statusWhen(bed, name, 'Running', (s) => s.phase === 'Running');
      const scaled = await statusWhen(bed, name, 'a rescale by the autoscaler', (s) => (s.autoscaler?.rescales.length ?? 0) > 0);
      assert.deepEqual([scaled.jobId, scaled.parallelism, scaled.targetParallelism], [jobId, 1, 1]);
      const [decision] = scaled.autoscaler?.rescales ?? [];
      assert.ok(decision);
      assert.deepEqual([decision.from, decision.to, decision.outcome], [2, 1, 'done']);
      assert.match(decision.reason, /^underloaded: sink\[2\]: Writer \d+% busy, nothing back-pressured, in each of the last 2 looks \(target 70%\)$/);
      const flink = await clusterNow(bed, name, jobId as string);
      assert.deepEqual(flink.vertexParallelism, [1, 1]);
      assert.equal(flink.taskManagerProcesses.length, 1);
      const { currentDetails } = await temporalTestBed().env.client.workflow.getHandle(pipelineWorkflowId(TENANT, name))
        .query<{ currentDetails: string }>('__temporal_workflow_metadata');
      assert.ok(currentDetails.includes(`2 → 1, ${decision.reason} (done)`), currentDetails);
      await bed.client.stopPipeline(TENANT, name, { savepoint: false, drain: false, wait: true });
    });
  });

  it('rescales through the CLI with --json, the memo following, and refuses with exit 2, changing nothing, a parallelism out of bounds and a pipeline that has stopped', async () => {
    const name = 'cli-elastic';
    const cli = (args: string[]) => runCli(['--address', temporalTestBed().server.address, '--task-queue', bed.taskQueue, ...args]);
    const rescale = (parallelism: string, json = true) => cli([...(json ? ['--json'] : []), 'pipeline', 'rescale', '--tenant', TENANT, '--name', name, '--parallelism', parallelism]);
    const summary = async () => (await bed.client.temporal.workflow.getHandle(pipelineWorkflowId(TENANT, name)).describe()).memo?.summary;
    await bed.withWorker(async () => {
      await bed.client.startPipeline(sqlPipeline(TENANT, name));
      const { jobId } = await statusWhen(bed, name, 'Running', (s) => s.phase === 'Running');

      // Refused at the flag, before the CLI connects (test/cli/flags.test.ts); the Update's own refusals are tested above.
      for (const [parallelism, rule] of [['0', 'must be at least 1'], ['65', 'must be at most 64']] as const) {
        const refused = await rescale(parallelism);
        assert.equal(refused.code, 2, refused.stderr);
        assert.deepEqual(JSON.parse(refused.stdout), { error: { type: 'UsageError', message: `option '--parallelism <n>' argument '${parallelism}' is invalid. ${rule}` } });
      }
      const unchanged = await bed.client.getPipeline(TENANT, name);
      assert.deepEqual([unchanged.jobId, unchanged.parallelism, unchanged.targetParallelism, unchanged.maxParallelism], [jobId, 1, 1, 64]);
      assert.deepEqual((await clusterNow(bed, name, jobId as string)).vertexParallelism, [1, 1]);

      const up = await rescale('2');
      assert.equal(up.code, 0, up.stderr);
      assert.deepEqual(JSON.parse(up.stdout), {
        jobId, previousParallelism: 1, parallelism: 2, ui: `http://127.0.0.1:8233/namespaces/default/workflows/pipeline%2F${TENANT}%2F${name}`,
      });
      const people = await cli(['pipeline', 'status', '--tenant', TENANT, '--name', name]);
      assert.match(people.stdout, /^parallelism +2$/m);
      assert.match(people.stdout, /^max parallelism +64$/m);
      assert.equal(await summary(), `pipeline ${TENANT}/${name}: SQL script, parallelism 2`);

      await bed.client.stopPipeline(TENANT, name, { savepoint: false, drain: false, wait: true });
      const stopped = await rescale('1', false);
      assert.equal(stopped.code, 2);
      assert.match(stopped.stderr, new RegExp(`^error: pipeline ${TENANT}/${name} is Stopped, not Running: only a running job can be rescaled$`, 'm'));
      assert.equal((await bed.client.getPipeline(TENANT, name)).parallelism, 2, 'the refused rescale changed nothing');
    });
  });
});
