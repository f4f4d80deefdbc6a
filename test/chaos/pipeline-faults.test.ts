import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { clusterName } from '../../activities/names';
import { clusterLayout } from '../../activities/runtime/local/layout';
import { listPids } from '../../activities/runtime/local/processes';
import { waitUntil } from '../../activities/runtime/local/wait';
import { pipelineWorkflowId } from '../../workflows/pipeline/spec';
import { fleetTestBed, type FleetTestBed } from '../harness/fleet';
import { temporalTestBed } from '../harness/global';
import { sqlPipeline } from '../pipeline/fixtures';
import { describeFault, type Fault } from './fault';
import { boundariesOf, faultyWorkers, MATRIX_LANES, runMatrix, type FaultyWorkers } from './matrix';
import { casesToTry } from './sample';

const TENANT = 'chaos';

/** Every JobManager pid the pipeline's cluster ever had, sampled until `stop`: one cluster, one pid. */
function jobManagersOf(bed: FleetTestBed, name: string): { seen: Set<number>; stop(): void } {
  const dir = clusterLayout(bed.stateDir, clusterName(TENANT, name)).dir;
  const seen = new Set<number>();
  const timer = setInterval(() => {
    const pid = listPids(dir).get('jobmanager');
    if (pid !== undefined) seen.add(pid);
  }, 200);
  return { seen, stop: () => clearInterval(timer) };
}

/** The life every case must reach despite its fault: start, Running, stop with a savepoint, nothing left. */
async function stopWithSavepointCycle(bed: FleetTestBed, name: string, workers: FaultyWorkers): Promise<{ finalState: string; savepointPath?: string }> {
  await bed.client.startPipeline(sqlPipeline(TENANT, name));
  await waitUntil(`${TENANT}/${name} to run`, async () => ((await bed.client.getPipeline(TENANT, name)).phase === 'Running' ? true : undefined), { timeoutMs: 300_000, intervalMs: 500, hopeless: workers.crashed });
  await bed.client.stopPipeline(TENANT, name, { savepoint: true, drain: false });
  return bed.client.waitForPipeline(TENANT, name);
}

async function runCase(fault: Fault | undefined, name: string): Promise<{ problems: string[]; bed: FleetTestBed }> {
  const bed = fleetTestBed('chaos-pipeline');
  const workers = faultyWorkers(bed, fault);
  const jobManagers = jobManagersOf(bed, name);
  const problems: string[] = [];
  try {
    const result = await stopWithSavepointCycle(bed, name, workers);
    if (result.finalState !== 'Stopped') problems.push(`ended ${result.finalState}, not Stopped`);
    const savepoint = result.savepointPath?.replace(/^file:(\/\/)?/, '');
    if (!savepoint || !existsSync(savepoint)) problems.push(`no savepoint on disk (${result.savepointPath})`);
    if (fault && !(await workers.diedOfFault())) problems.push('the fault was never reached: the worker did not die');
    if (jobManagers.seen.size !== 1) problems.push(`${jobManagers.seen.size} JobManagers were started, not 1`);
    const left = await bed.runtime.listClusters();
    if (left.length > 0) problems.push(`clusters left: ${left.map((c) => c.cluster).join(', ')}`);
  } finally {
    jobManagers.stop();
    await workers.stop();
    await bed.cleanUp();
  }
  return { problems, bed };
}

describe('runPipeline with its worker SIGKILLed at each activity boundary (real Temporal, real Flink)', () => {
  let boundaries: Fault[] = [];

  it('stops with a savepoint and deletes its one cluster when nothing fails: the baseline whose history names the boundaries', async function () {
    this.timeout(600_000);
    const { problems } = await runCase(undefined, 'baseline');
    assert.deepEqual(problems, []);
    boundaries = await boundariesOf(temporalTestBed().env.client, pipelineWorkflowId(TENANT, 'baseline'), 'runPipeline');
    const types = [...new Set(boundaries.map((b) => b.activityType))];
    assert.deepEqual(types, ['inspectPipelineSql', 'ensureTenant', 'deployPipelineCluster', 'awaitJobRunning', 'watchJob', 'stopJob', 'deletePipelineCluster']);
  });

  it('reaches the same end at each boundary tried: Stopped with a savepoint, one JobManager ever, nothing left', async function () {
    assert.ok(boundaries.length > 0, 'the baseline named the boundaries');
    const cases = casesToTry('runPipeline', boundaries);
    this.timeout(Math.ceil(cases.length / MATRIX_LANES) * 300_000 + 120_000);
    const problems = await runMatrix(cases, MATRIX_LANES, describeFault, async (fault, index) => (await runCase(fault, `f${index}`)).problems);
    assert.deepEqual(problems, []);
  });
});
