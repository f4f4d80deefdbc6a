import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import type { WorkflowHandle } from '@temporalio/client';
import { clusterName } from '../../activities/names';
import { clusterLayout, readRecord } from '../../activities/runtime/local/layout';
import { listPids } from '../../activities/runtime/local/processes';
import { waitUntil } from '../../activities/runtime/local/wait';
import type { Phase } from '../../workflows/pipeline/phases';
import { pipelineWorkflowId } from '../../workflows/pipeline/spec';
import { fleetTestBed, type FleetTestBed } from '../harness/fleet';
import { temporalTestBed } from '../harness/global';
import { completedActivitiesOf, phasesOf } from '../harness/history';
import { workerProcesses, type WorkerProcess } from '../harness/worker-process';
import { sqlPipeline } from './fixtures';

async function phaseIn(bed: FleetTestBed, name: string, phases: Phase[], intervalMs = 100): Promise<Phase> {
  return waitUntil(`acme/${name} in ${phases.join(' or ')}`, async () => {
    const { phase } = await bed.client.getPipeline('acme', name);
    return phases.includes(phase) ? phase : undefined;
  }, { timeoutMs: 180_000, intervalMs });
}

interface ClusterIdentity { createdAt?: string; jobManager?: number }

/** What identifies the one cluster of a pipeline: when it was created and its JobManager's pid. */
function clusterIdentity(bed: FleetTestBed, name: string): ClusterIdentity {
  const layout = clusterLayout(bed.stateDir, clusterName('acme', name));
  return { createdAt: readRecord(layout)?.createdAt, jobManager: listPids(layout.dir).get('jobmanager') };
}

/** The SDK's default worker identity, which the history records for each completed activity. */
const identityOf = (worker: WorkerProcess): string => `${worker.pid}@${hostname()}`;

const handleOf = (name: string): WorkflowHandle => temporalTestBed().env.client.workflow.getHandle(pipelineWorkflowId('acme', name));

/**
 * Freezes a JobManager (SIGSTOP) while `body` runs, so that whatever the worker asks of it cannot
 * complete: the workflow is held in the phase that asked, and the kill lands there, not after it.
 */
async function withFrozen<T>(pid: number, body: () => Promise<T>): Promise<T> {
  process.kill(pid, 'SIGSTOP');
  try {
    return await body();
  } finally {
    process.kill(pid, 'SIGCONT');
  }
}

describe('runPipeline when its worker process is killed', () => {
  let bed: FleetTestBed;
  let workers: ReturnType<typeof workerProcesses>;
  beforeEach(() => {
    bed = fleetTestBed('crash');
    workers = workerProcesses(bed);
  });
  afterEach(async () => {
    await workers.stopAll();
    await bed.cleanUp();
  });

  it('reuses the cluster the dead worker was deploying: same record, same JobManager, one deploy', async () => {
    const first = workers.start();
    await bed.client.startPipeline(sqlPipeline('acme', 'deploying'));
    await phaseIn(bed, 'deploying', ['Deploying']);
    const beforeKill = await waitUntil('the cluster record and its JobManager', async () => {
      const identity = clusterIdentity(bed, 'deploying');
      return identity.createdAt && identity.jobManager ? identity : undefined;
    }, { timeoutMs: 60_000, intervalMs: 50 });
    // Frozen, the JobManager cannot answer, so the deploy activity cannot finish before the kill.
    await withFrozen(beforeKill.jobManager as number, async () => {
      assert.equal((await bed.client.getPipeline('acme', 'deploying')).phase, 'Deploying');
      first.kill('SIGKILL');
      assert.equal(await first.exited, 'SIGKILL');
    });
    const second = workers.start();
    await phaseIn(bed, 'deploying', ['Running'], 500);
    assert.deepEqual(clusterIdentity(bed, 'deploying'), beforeKill, 'the retried deploy reused the record and the JobManager');
    assert.equal((await bed.runtime.listClusters()).length, 1);
    const deploys = (await completedActivitiesOf(handleOf('deploying'))).filter((a) => a.activity === 'deployPipelineCluster');
    assert.equal(deploys.length, 1, 'one deploy, completed once');
    assert.equal(deploys[0]?.completedBy, identityOf(second));
    assert.ok((deploys[0]?.attempt ?? 0) >= 2, `the deploy was retried after the kill (attempt ${deploys[0]?.attempt})`);
    const result = await bed.client.stopPipeline('acme', 'deploying', { savepoint: false, drain: false, wait: true });
    assert.equal(result?.finalState, 'Stopped');
    assert.deepEqual(await phasesOf(handleOf('deploying')), [
      'Validating', 'EnsuringTenant', 'Deploying', 'Starting', 'Running', 'Stopping', 'CleaningUp', 'Stopped',
    ]);
    assert.deepEqual(await bed.runtime.listClusters(), []);
  });

  it('finishes a stop with savepoint on the same job and JobManager when the worker dies while Savepointing', async () => {
    const first = workers.start();
    await bed.client.startPipeline(sqlPipeline('acme', 'stopping'));
    await phaseIn(bed, 'stopping', ['Running'], 500);
    const { jobId } = await bed.client.getPipeline('acme', 'stopping');
    const identity = clusterIdentity(bed, 'stopping');
    // Frozen, the JobManager cannot take the savepoint, so the workflow is still Savepointing at the kill.
    await withFrozen(identity.jobManager as number, async () => {
      await bed.client.stopPipeline('acme', 'stopping', { savepoint: true, drain: false });
      await phaseIn(bed, 'stopping', ['Savepointing']);
      first.kill('SIGKILL');
      assert.equal(await first.exited, 'SIGKILL');
    });
    const second = workers.start();
    const result = await bed.client.waitForPipeline('acme', 'stopping');
    assert.equal(result.finalState, 'Stopped');
    // Flink names a savepoint after the first six characters of its job's id.
    assert.match(result.savepointPath ?? '', new RegExp(`/savepoints/savepoint-${jobId?.slice(0, 6)}-[0-9a-f]{12}$`));
    const completed = await completedActivitiesOf(handleOf('stopping'));
    const stops = completed.filter((a) => a.activity === 'stopJob');
    assert.equal(stops.length, 1);
    assert.equal(stops[0]?.completedBy, identityOf(second), 'the second worker finished the stop');
    assert.ok((stops[0]?.attempt ?? 0) >= 2, `the stop was retried after the kill (attempt ${stops[0]?.attempt})`);
    assert.equal(completed.filter((a) => a.activity === 'deployPipelineCluster').length, 1, 'no second cluster was deployed');
    assert.deepEqual(await phasesOf(handleOf('stopping')), [
      'Validating', 'EnsuringTenant', 'Deploying', 'Starting', 'Running', 'Savepointing', 'Stopping', 'CleaningUp', 'Stopped',
    ]);
    assert.deepEqual(await bed.runtime.listClusters(), []);
  });
});
