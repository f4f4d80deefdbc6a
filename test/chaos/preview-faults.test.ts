import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { TERMINAL_JOB_STATES } from '../../activities/flink/rest-types';
import { fleetTestBed, type FleetTestBed } from '../harness/fleet';
import { temporalTestBed } from '../harness/global';
import { NUMBERS, poolFixture, restOf } from '../preview/pool-fixture';
import { describeFault, type Fault } from './fault';
import { boundariesOf, faultyWorkers, MATRIX_LANES, runMatrix, type FaultyWorkers } from './matrix';
import { casesToTry } from './sample';

const MAX_ROWS = 5;
const PREVIEW_TIMEOUT_SECONDS = 300;

/**
 * What every case must show despite its fault: the first rows of the sequence, stopped at the row
 * limit, every TaskManager the preview ran on gone from the JobManager, no job left running, and the
 * pool back at its target. Returns the preview's workflow id and the problems found.
 */
async function previewOnFreshPool(bed: FleetTestBed, pool: string, workers: FaultyWorkers): Promise<{ workflowId: string; problems: string[] }> {
  const fixture = poolFixture(bed, pool);
  await bed.client.startPool({ sessionCluster: pool, target: 1, reconcileSeconds: 2 });
  await fixture.settled(1, 300_000, workers.crashed);
  // Recovery costs a heartbeat timeout, a sticky-queue timeout and a new worker's start, for the
  // preview and for the pool it claims from; beside a full suite on two cores that passed the default
  // two minutes. A timeout is an end of its own (preview-default-timeout.test.ts), not this test's.
  const startedAt = Date.now();
  const stream = await bed.client.preview('chaos', `${NUMBERS}; SELECT n FROM numbers`, { pool, maxRows: MAX_ROWS, timeoutSeconds: PREVIEW_TIMEOUT_SECONDS });
  const result = await stream.result();
  const problems: string[] = [];
  if (result.stoppedBecause !== 'row-limit') {
    problems.push(`stopped because ${result.stoppedBecause} (${result.error ?? ''}) after ${Math.round((Date.now() - startedAt) / 1000)} s, not row-limit`);
  }
  const values = result.rows.map((r) => r.fields[0]);
  if (JSON.stringify(values) !== JSON.stringify([1, 2, 3, 4, 5])) problems.push(`rows ${JSON.stringify(values)}`);
  if (result.taskManagerIds.length === 0) problems.push('no TaskManager reported for the job');
  await fixture.settled(1, 180_000, workers.crashed).catch((error: Error) => problems.push(error.message));
  const rest = await restOf(bed, pool);
  const registered = (await rest.taskManagers()).map((t) => t.id);
  const survivors = result.taskManagerIds.filter((id) => registered.includes(id));
  if (survivors.length > 0) problems.push(`TaskManagers that ran the preview still registered: ${survivors.join(', ')}`);
  const running = (await rest.jobs()).filter((j) => !TERMINAL_JOB_STATES.includes(j.state));
  if (running.length > 0) problems.push(`jobs still running: ${running.map((j) => `${j.name} ${j.state}`).join(', ')}`);
  return { workflowId: stream.workflowId, problems };
}

async function runCase(fault: Fault | undefined): Promise<{ workflowId: string; problems: string[] }> {
  const bed = fleetTestBed('chaos-preview');
  const pool = `chaos-${randomUUID().slice(0, 6)}`;
  const workers = faultyWorkers(bed, fault);
  try {
    const outcome = await previewOnFreshPool(bed, pool, workers);
    if (fault && !(await workers.diedOfFault())) outcome.problems.push('the fault was never reached: the worker did not die');
    await bed.client.stopPool(pool);
    const left = await bed.runtime.listClusters();
    if (left.length > 0) outcome.problems.push(`clusters left after the pool stopped: ${left.map((c) => c.cluster).join(', ')}`);
    return outcome;
  } finally {
    await workers.stop();
    await bed.cleanUp();
  }
}

describe('preview with its worker SIGKILLed at each activity boundary (real Temporal, real Flink)', () => {
  let boundaries: Fault[] = [];

  it('returns its rows and frees its TaskManager when nothing fails: the baseline whose history names the boundaries', async function () {
    this.timeout(600_000);
    const { workflowId, problems } = await runCase(undefined);
    assert.deepEqual(problems, []);
    boundaries = await boundariesOf(temporalTestBed().env.client, workflowId, 'preview');
    assert.deepEqual([...new Set(boundaries.map((b) => b.activityType))], ['inspectSql', 'claimTaskManager', 'runPreviewQuery', 'stopPreview']);
  });

  it('reaches the same end at each boundary tried: the same rows, its TaskManagers killed, the pool back at target', async function () {
    assert.ok(boundaries.length > 0, 'the baseline named the boundaries');
    const cases = casesToTry('preview', boundaries);
    this.timeout(Math.ceil(cases.length / MATRIX_LANES) * (400_000 + PREVIEW_TIMEOUT_SECONDS * 1_000) + 120_000);
    const problems = await runMatrix(cases, MATRIX_LANES, describeFault, async (fault) => (await runCase(fault)).problems);
    assert.deepEqual(problems, []);
  });
});
