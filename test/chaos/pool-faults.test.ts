import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { waitUntil } from '../../activities/runtime/local/wait';
import { fleetTestBed, type FleetTestBed } from '../harness/fleet';
import { temporalTestBed } from '../harness/global';
import { NUMBERS, poolFixture, restOf } from '../preview/pool-fixture';
import { poolWorkflowId, sessionClusterRef } from '../../workflows/pool/api';
import { describeFault, type Fault } from './fault';
import { boundariesOf, faultyWorkers, MATRIX_LANES, runMatrix, type FaultyWorkers } from './matrix';
import { casesToTry } from './sample';

const TARGET = 1;

/**
 * What every case must show despite its fault: the pool settles at its target with exactly that many
 * TaskManager processes alive and registered (a TaskManager started twice would be one too many),
 * serves a preview, settles again, and deletes its whole session cluster when stopped.
 */
async function poolLife(bed: FleetTestBed, pool: string, workers: FaultyWorkers): Promise<string[]> {
  const fixture = poolFixture(bed, pool);
  const problems: string[] = [];
  const exactlyTarget = async (when: string): Promise<void> => {
    await fixture.settled(TARGET, 300_000, workers.crashed);
    // A TaskManager the pool killed may take seconds to exit after the pool has already replaced it.
    let seen = '';
    await waitUntil(`exactly ${TARGET} TaskManagers ${when}`, async () => {
      const alive = (await bed.runtime.observe(sessionClusterRef(pool))).processes.filter((p) => p.role === 'taskmanager' && p.alive).length;
      const registered = (await (await restOf(bed, pool)).taskManagers()).length;
      seen = `${alive} TaskManager processes alive, ${registered} registered`;
      return alive === TARGET && registered === TARGET ? true : undefined;
    }, { timeoutMs: 60_000, intervalMs: 500 }).catch(() => problems.push(`${when}: ${seen}, target ${TARGET}`));
  };
  await bed.client.startPool({ sessionCluster: pool, target: TARGET, reconcileSeconds: 2 });
  await exactlyTarget('after start');
  const result = await (await bed.client.preview('chaos', `${NUMBERS}; SELECT n FROM numbers`, { pool, maxRows: 3 })).result();
  if (result.stoppedBecause !== 'row-limit') problems.push(`the preview stopped because ${result.stoppedBecause} (${result.error ?? ''})`);
  await exactlyTarget('after a preview');
  await bed.client.stopPool(pool);
  const left = await bed.runtime.listClusters();
  if (left.length > 0) problems.push(`clusters left after the pool stopped: ${left.map((c) => c.cluster).join(', ')}`);
  return problems;
}

async function runCase(fault: Fault | undefined, pool: string): Promise<string[]> {
  const bed = fleetTestBed('chaos-pool');
  const workers = faultyWorkers(bed, fault);
  try {
    const problems = await poolLife(bed, pool, workers);
    if (fault && !(await workers.diedOfFault())) problems.push('the fault was never reached: the worker did not die');
    return problems;
  } finally {
    await workers.stop();
    await bed.cleanUp();
  }
}

describe('maintainIdlePool with its worker SIGKILLed at each activity boundary (real Temporal, real Flink)', () => {
  let boundaries: Fault[] = [];

  it('keeps its target, serves a preview and deletes everything on stop when nothing fails: the baseline whose history names the boundaries', async function () {
    this.timeout(600_000);
    const pool = `chaos-${randomUUID().slice(0, 6)}`;
    assert.deepEqual(await runCase(undefined, pool), []);
    boundaries = await boundariesOf(temporalTestBed().env.client, poolWorkflowId(pool), 'maintainIdlePool', { firstOccurrenceOnly: true });
    assert.deepEqual([...new Set(boundaries.map((b) => b.activityType))].sort(),
      ['deleteSessionCluster', 'ensureSessionCluster', 'killPoolTaskManagers', 'observePool', 'startPoolTaskManager', 'warmUpSessionCluster']);
  });

  it('reaches the same end at each boundary tried: exactly its target of TaskManagers, a preview served, nothing left', async function () {
    assert.ok(boundaries.length > 0, 'the baseline named the boundaries');
    const cases = casesToTry('maintainIdlePool', boundaries);
    this.timeout(Math.ceil(cases.length / MATRIX_LANES) * 400_000 + 120_000);
    const problems = await runMatrix(cases, MATRIX_LANES, describeFault, async (fault) => runCase(fault, `chaos-${randomUUID().slice(0, 6)}`));
    assert.deepEqual(problems, []);
  });
});
