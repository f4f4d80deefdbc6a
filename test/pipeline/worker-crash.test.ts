import assert from 'node:assert/strict';
import { clusterLayout, readRecord } from '../../activities/runtime/local/layout';
import { listPids } from '../../activities/runtime/local/processes';
import { waitUntil } from '../../activities/runtime/local/wait';
import type { Phase } from '../../workflows/pipeline/phases';
import { fleetTestBed, type FleetTestBed } from '../harness/fleet';
import { workerProcesses } from '../harness/worker-process';
import { sqlPipeline } from './fixtures';

async function phaseIn(bed: FleetTestBed, name: string, phases: Phase[], intervalMs = 100): Promise<Phase> {
  return waitUntil(`acme/${name} in ${phases.join(' or ')}`, async () => {
    const { phase } = await bed.client.getPipeline('acme', name);
    return phases.includes(phase) ? phase : undefined;
  }, { timeoutMs: 180_000, intervalMs });
}

/** What identifies the one cluster of a pipeline: when it was created and its JobManager's pid. */
function clusterIdentity(bed: FleetTestBed, name: string): { createdAt?: string; jobManager?: number } {
  const layout = clusterLayout(bed.stateDir, `acme--${name}`);
  return { createdAt: readRecord(layout)?.createdAt, jobManager: listPids(layout.dir).get('jobmanager') };
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

  it('deploys exactly one cluster when the worker dies while Deploying, and stops cleanly after', async () => {
    const first = workers.start();
    await bed.client.startPipeline(sqlPipeline('acme', 'deploying'));
    await phaseIn(bed, 'deploying', ['Deploying']);
    first.kill('SIGKILL');
    assert.equal(await first.exited, 'SIGKILL');
    const beforeRecovery = clusterIdentity(bed, 'deploying');
    workers.start();
    await phaseIn(bed, 'deploying', ['Running'], 500);
    const recovered = clusterIdentity(bed, 'deploying');
    assert.ok(recovered.createdAt && recovered.jobManager);
    if (beforeRecovery.createdAt) assert.deepEqual(recovered, beforeRecovery, 'the retried deploy reused the cluster');
    assert.equal((await bed.runtime.listClusters()).length, 1);
    const result = await bed.client.stopPipeline('acme', 'deploying', { savepoint: false, drain: false, wait: true });
    assert.equal(result?.finalState, 'Stopped');
    assert.deepEqual(await bed.runtime.listClusters(), []);
  });

  it('finishes a stop with savepoint when the worker dies while Savepointing or Stopping', async () => {
    const first = workers.start();
    await bed.client.startPipeline(sqlPipeline('acme', 'stopping'));
    await phaseIn(bed, 'stopping', ['Running'], 500);
    const identity = clusterIdentity(bed, 'stopping');
    await bed.client.stopPipeline('acme', 'stopping', { savepoint: true, drain: false });
    await phaseIn(bed, 'stopping', ['Savepointing', 'Stopping', 'CleaningUp', 'Stopped'], 20);
    first.kill('SIGKILL');
    assert.equal(await first.exited, 'SIGKILL');
    workers.start();
    const result = await bed.client.waitForPipeline('acme', 'stopping');
    assert.equal(result.finalState, 'Stopped');
    assert.match(result.savepointPath ?? '', /savepoints\/savepoint-/);
    assert.equal(identity.jobManager !== undefined, true);
    assert.deepEqual(await bed.runtime.listClusters(), []);
  });
});
