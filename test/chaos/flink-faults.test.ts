import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { clusterName } from '../../activities/names';
import { clusterLayout } from '../../activities/runtime/local/layout';
import { isRunning, listPids } from '../../activities/runtime/local/processes';
import { waitUntil } from '../../activities/runtime/local/wait';
import { sessionClusterRef } from '../../workflows/pool/api';
import { fleetTestBed, type FleetTestBed } from '../harness/fleet';
import { sqlPipeline } from '../pipeline/fixtures';
import { NUMBERS, poolFixture, restOf } from '../preview/pool-fixture';

function jobManagerPid(bed: FleetTestBed, tenant: string, name: string): number {
  const pid = listPids(clusterLayout(bed.stateDir, clusterName(tenant, name)).dir).get('jobmanager');
  if (pid === undefined) throw new Error(`no JobManager of ${tenant}/${name}`);
  return pid;
}

describe('the fleet when Flink itself fails (local runtime, real Flink)', () => {
  let bed: FleetTestBed;
  beforeEach(() => {
    bed = fleetTestBed('flink-faults');
  });
  afterEach(async () => {
    await bed.cleanUp();
  });

  it('keeps a pipeline Running on the same cluster, without a restart, while its JobManager answers nothing for 30 s', async function () {
    this.timeout(400_000);
    await bed.withWorker(async () => {
      await bed.client.startPipeline(sqlPipeline('acme', 'frozen'));
      await waitUntil('the pipeline to run', async () => ((await bed.client.getPipeline('acme', 'frozen')).phase === 'Running' ? true : undefined), { timeoutMs: 180_000, intervalMs: 500 });
      const jobManager = jobManagerPid(bed, 'acme', 'frozen');
      // SIGSTOP freezes the JVM: its REST port accepts connections (the kernel does) and answers nothing.
      process.kill(jobManager, 'SIGSTOP');
      try {
        await sleep(30_000);
      } finally {
        process.kill(jobManager, 'SIGCONT');
      }
      const status = await bed.client.getPipeline('acme', 'frozen');
      assert.equal(status.phase, 'Running');
      assert.equal(status.restarts, 0);
      assert.equal(jobManagerPid(bed, 'acme', 'frozen'), jobManager);
      const stopped = await bed.client.stopPipeline('acme', 'frozen', { savepoint: true, drain: false, wait: true });
      assert.equal(stopped?.finalState, 'Stopped');
      assert.match(stopped?.savepointPath ?? '', /savepoint-/);
      assert.equal(stopped?.restarts, 0);
    });
    assert.deepEqual(await bed.runtime.listClusters(), []);
  });

  it('gives the pool a new session cluster when its JobManager dies, with its target of TaskManagers and previews served again', async function () {
    this.timeout(400_000);
    const pool = `jmdies-${randomUUID().slice(0, 6)}`;
    const fixture = poolFixture(bed, pool);
    await bed.withWorker(async () => {
      await bed.client.startPool({ sessionCluster: pool, target: 1, reconcileSeconds: 2 });
      await fixture.settled(1, 180_000);
      const { name } = sessionClusterRef(pool);
      const dir = clusterLayout(bed.stateDir, clusterName(sessionClusterRef(pool).tenant, name)).dir;
      const before = listPids(dir);
      const jobManager = before.get('jobmanager') as number;
      process.kill(jobManager, 'SIGKILL');
      await waitUntil('a new JobManager', async () => {
        const now = listPids(dir).get('jobmanager');
        return now !== undefined && now !== jobManager && isRunning(now) ? true : undefined;
      }, { timeoutMs: 120_000, intervalMs: 500 });
      await fixture.settled(1, 180_000);
      const oldProcesses = [...before.values()].filter((pid) => isRunning(pid, dir));
      assert.deepEqual(oldProcesses, [], 'every process of the dead session cluster is gone');
      assert.equal((await (await restOf(bed, pool)).taskManagers()).length, 1);
      const result = await (await bed.client.preview('acme', `${NUMBERS}; SELECT n FROM numbers`, { pool, maxRows: 3 })).result();
      assert.equal(result.stoppedBecause, 'row-limit', result.error);
      assert.deepEqual(result.rows.map((r) => r.fields[0]), [1, 2, 3]);
      await bed.client.stopPool(pool);
    });
    assert.deepEqual(await bed.runtime.listClusters(), []);
  });
});
