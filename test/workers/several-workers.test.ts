import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { clusterName } from '../../activities/names';
import { clusterLayout } from '../../activities/runtime/local/layout';
import { listPids, processGroupMembers } from '../../activities/runtime/local/processes';
import { waitUntil } from '../../activities/runtime/local/wait';
import type { Phase } from '../../workflows/pipeline/phases';
import { pipelineWorkflowId } from '../../workflows/pipeline/spec';
import { poolWorkflowId } from '../../workflows/pool/api';
import { fleetTestBed, type FleetTestBed } from '../harness/fleet';
import { temporalTestBed } from '../harness/global';
import { completedActivitiesOf } from '../harness/history';
import { startWorkerProcess, type WorkerProcess } from '../harness/worker-process';
import { sqlPipeline } from '../pipeline/fixtures';
import { NUMBERS, poolFixture } from '../preview/pool-fixture';

const TENANT = 'acme';
/** The chaos tests' entry point around the real worker/run.ts, here without a fault: it loads the run's bundle. */
const WORKER_ENTRY = join(__dirname, '..', 'chaos', 'worker-with-fault.ts');
/** temporal.api.enums.v1.TaskQueueType: the proto package is not one of ours to import. */
const TASK_QUEUE_TYPES = { workflow: 1, activity: 2 } as const;

const handleOf = (workflowId: string): WorkflowHandle => temporalTestBed().env.client.workflow.getHandle(workflowId);
/** The SDK's default identity, which the history records on each activity it started. */
const identityOf = (worker: WorkerProcess): string => `${worker.pid}@${hostname()}`;

/** Real worker processes (worker/run.ts) on the bed's task queue, each leading its own process group. */
function workerFleet(bed: FleetTestBed): { start(label: string): WorkerProcess; stopAll(): Promise<void> } {
  const started: WorkerProcess[] = [];
  return {
    start(label) {
      const worker = startWorkerProcess({
        taskQueue: bed.taskQueue, stateDir: bed.stateDir, entry: WORKER_ENTRY, ownProcessGroup: true,
        logFile: join(bed.stateDir, `worker-${label}.log`), env: { FLEET_TEST_WORKFLOW_BUNDLE: temporalTestBed().workflowBundleFile() },
      });
      started.push(worker);
      return worker;
    },
    async stopAll() {
      await Promise.all(started.splice(0).map((w) => w.stop()));
    },
  };
}

/** Until every worker polls both the workflow and the activity task queue: before that, one might get all the work. */
async function polling(bed: FleetTestBed, workers: readonly WorkerProcess[]): Promise<void> {
  const { client } = temporalTestBed().env;
  await waitUntil(`${workers.length} workers polling ${bed.taskQueue}`, async () => {
    for (const type of Object.values(TASK_QUEUE_TYPES)) {
      const { pollers } = await client.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: bed.taskQueue }, taskQueueType: type });
      const identities = new Set((pollers ?? []).map((p) => p.identity));
      if (!workers.every((w) => identities.has(identityOf(w)))) return undefined;
    }
    return true;
  }, { timeoutMs: 120_000, intervalMs: 500 });
}

/** Who started each activity of a closed workflow run (history is complete once it ended). */
async function activityWorkersOf(workflowId: string): Promise<string[]> {
  const { events } = await handleOf(workflowId).fetchHistory();
  return (events ?? []).flatMap((e) => (e.activityTaskStartedEventAttributes ? [e.activityTaskStartedEventAttributes.identity ?? ''] : []));
}

async function phaseIn(bed: FleetTestBed, name: string, phases: readonly Phase[]): Promise<Phase> {
  return waitUntil(`${TENANT}/${name} in ${phases.join(' or ')}`, async () => {
    const { phase } = await bed.client.getPipeline(TENANT, name);
    if (phase === 'Failed') throw new Error(`${TENANT}/${name} failed`);
    return phases.includes(phase) ? phase : undefined;
  }, { timeoutMs: 300_000, intervalMs: 250 });
}

/** Every JobManager pid each pipeline's cluster ever had, sampled until `stop`: one cluster, one pid. */
function jobManagerSampler(bed: FleetTestBed, names: readonly string[]): { seen: Map<string, Set<number>>; stop(): void } {
  const seen = new Map(names.map((name) => [name, new Set<number>()]));
  const timer = setInterval(() => {
    for (const [name, pids] of seen) {
      const pid = listPids(clusterLayout(bed.stateDir, clusterName(TENANT, name)).dir).get('jobmanager');
      if (pid !== undefined) pids.add(pid);
    }
  }, 200);
  return { seen, stop: () => clearInterval(timer) };
}

function savepointOnDisk(path: string | undefined): boolean {
  return path !== undefined && existsSync(path.replace(/^file:(\/\/)?/, ''));
}

async function previewNumbers(bed: FleetTestBed, pool: string): Promise<{ workflowId: string; result: () => Promise<{ stoppedBecause: string; values: unknown[] }> }> {
  const stream = await bed.client.preview(TENANT, `${NUMBERS}; SELECT n FROM numbers`, { pool, maxRows: 5 });
  return {
    workflowId: stream.workflowId,
    async result() {
      const result = await stream.result();
      return { stoppedBecause: result.stoppedBecause, values: result.rows.map((r) => r.fields[0]) };
    },
  };
}

describe('several worker processes on one task queue (real Temporal, real Flink)', () => {
  let bed: FleetTestBed;
  let workers: ReturnType<typeof workerFleet>;
  let pool: string;
  beforeEach(() => {
    bed = fleetTestBed('workers');
    workers = workerFleet(bed);
    pool = `workers-${randomUUID().slice(0, 6)}`;
  });
  afterEach(async () => {
    await bed.client.stopPool(pool).catch(() => undefined);
    await workers.stopAll();
    await bed.cleanUp();
  });

  // A workflow's activities mostly run where its workflow tasks do (sticky queue, eager activities),
  // so the work is shared workflow by workflow: ten workflows all landing on one worker is a 1 in 512 chance.
  it('share the work: both run activities of the pipelines, previews and pool started while both poll', async function () {
    this.timeout(900_000);
    const a = workers.start('a');
    const b = workers.start('b');
    await polling(bed, [a, b]);
    await bed.client.startPool({ sessionCluster: pool, target: 2, reconcileSeconds: 2 });
    const names = ['share-1', 'share-2', 'share-3'];
    for (const name of names) await bed.client.startPipeline(sqlPipeline(TENANT, name));
    await poolFixture(bed, pool).settled(2, 300_000);
    const previews: string[] = [];
    for (let pair = 0; pair < 3; pair++) {
      const started = await Promise.all([previewNumbers(bed, pool), previewNumbers(bed, pool)]);
      for (const preview of started) {
        assert.deepEqual(await preview.result(), { stoppedBecause: 'row-limit', values: [1, 2, 3, 4, 5] });
        previews.push(preview.workflowId);
      }
    }
    for (const name of names) await phaseIn(bed, name, ['Running']);
    for (const name of names) assert.equal((await bed.client.stopPipeline(TENANT, name, { savepoint: false, drain: false, wait: true }))?.finalState, 'Stopped');
    await bed.client.stopPool(pool);

    const workflowIds = [...names.map((n) => pipelineWorkflowId(TENANT, n)), ...previews, poolWorkflowId(pool)];
    const byWorker = new Map<string, number>();
    const perWorkflow: string[] = [];
    for (const id of workflowIds) {
      const startedBy = await activityWorkersOf(id);
      for (const who of startedBy) byWorker.set(who, (byWorker.get(who) ?? 0) + 1);
      perWorkflow.push(`${id} A ${startedBy.filter((w) => w === identityOf(a)).length} B ${startedBy.filter((w) => w === identityOf(b)).length}`);
    }
    process.stdout.write(`      activities started: ${perWorkflow.join('; ')}\n`);
    assert.deepEqual([...byWorker.keys()].sort(), [identityOf(a), identityOf(b)].sort(), `activities started per worker: ${JSON.stringify(Object.fromEntries(byWorker))}`);
    assert.deepEqual(await bed.runtime.listClusters(), []);
  });

  it('lose one to SIGKILL under load, and the other finishes everything it held: stops as asked, one JobManager each, previews answered, nothing left', async function () {
    this.timeout(1_200_000);
    const names = ['held-1', 'held-2', 'held-3'] as const;
    const jobManagers = jobManagerSampler(bed, names);
    try {
      // Alone at first, A takes the pool and the first two pipelines: their watches run on it.
      const a = workers.start('a');
      await polling(bed, [a]);
      await bed.client.startPool({ sessionCluster: pool, target: 1, reconcileSeconds: 2 });
      await bed.client.startPipeline(sqlPipeline(TENANT, 'held-1'));
      await bed.client.startPipeline(sqlPipeline(TENANT, 'held-2'));
      await phaseIn(bed, 'held-1', ['Running']);
      await phaseIn(bed, 'held-2', ['Running']);
      await poolFixture(bed, pool).settled(1, 300_000);

      const b = workers.start('b');
      await polling(bed, [a, b]);
      // Under load: a stop with savepoint, a start and a preview in flight when A dies.
      await bed.client.stopPipeline(TENANT, 'held-1', { savepoint: true, drain: false });
      await bed.client.startPipeline(sqlPipeline(TENANT, 'held-3'));
      const preview = await previewNumbers(bed, pool);
      await phaseIn(bed, 'held-1', ['Savepointing', 'Stopping', 'CleaningUp', 'Stopped']);
      const held = await activitiesHeldBy(identityOf(a), [...names.map((n) => pipelineWorkflowId(TENANT, n)), preview.workflowId, poolWorkflowId(pool)]);
      process.stdout.write(`      A held at the kill: ${held.join(', ')}\n`);
      assert.ok(held.includes(`${pipelineWorkflowId(TENANT, 'held-2')}: watchJob`), `A held held-2's watch when killed (held: ${held.join(', ')})`);

      a.killProcessGroup('SIGKILL');
      assert.equal(await a.exited, 'SIGKILL');
      await waitUntil('nothing left of worker A\'s process group', async () => (processGroupMembers(a.pid).length === 0 ? true : undefined), { timeoutMs: 30_000, intervalMs: 100 });

      assert.deepEqual(await preview.result(), { stoppedBecause: 'row-limit', values: [1, 2, 3, 4, 5] }, 'the preview in flight returned its rows');
      const afterKill = await previewNumbers(bed, pool);
      assert.deepEqual(await afterKill.result(), { stoppedBecause: 'row-limit', values: [1, 2, 3, 4, 5] }, 'a preview after the kill returned its rows');

      const first = await bed.client.waitForPipeline(TENANT, 'held-1');
      assert.equal(first.finalState, 'Stopped');
      assert.ok(savepointOnDisk(first.savepointPath), `held-1's savepoint is on disk (${first.savepointPath})`);
      const second = await bed.client.stopPipeline(TENANT, 'held-2', { savepoint: true, drain: false, wait: true });
      assert.equal(second?.finalState, 'Stopped');
      assert.ok(savepointOnDisk(second?.savepointPath), `held-2's savepoint is on disk (${second?.savepointPath})`);
      await phaseIn(bed, 'held-3', ['Running']);
      const third = await bed.client.stopPipeline(TENANT, 'held-3', { savepoint: false, drain: false, wait: true });
      assert.equal(third?.finalState, 'Stopped');
      assert.equal(third?.savepointPath, undefined, 'held-3 was stopped without a savepoint');
      await bed.client.stopPool(pool);

      // B finished each pipeline: the cluster's delete, its last activity, was B's.
      for (const name of names) {
        const deletes = (await completedActivitiesOf(handleOf(pipelineWorkflowId(TENANT, name)))).filter((c) => c.activity === 'deletePipelineCluster');
        assert.deepEqual(deletes.map((d) => d.completedBy), [identityOf(b)], `${name}'s cluster was deleted once, by B`);
      }
      jobManagers.stop();
      for (const [name, pids] of jobManagers.seen) assert.equal(pids.size, 1, `${name}: one JobManager ever, saw ${[...pids].join(', ')}`);
      assert.deepEqual(await bed.runtime.listClusters(), []);
    } finally {
      jobManagers.stop();
    }
  });
});

/** `<workflow id>: <activity type>` of each activity `identity` was running, from each workflow's pending activities. */
async function activitiesHeldBy(identity: string, workflowIds: readonly string[]): Promise<string[]> {
  const held: string[] = [];
  for (const id of workflowIds) {
    const { raw } = await handleOf(id).describe();
    for (const pending of raw.pendingActivities ?? []) {
      if (pending.lastWorkerIdentity === identity) held.push(`${id}: ${pending.activityType?.name ?? '?'}`);
    }
  }
  return held;
}
