import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApplicationFailure } from '@temporalio/common';
import { FlinkErrorType, FlinkUnreachable, classifyFlinkError } from '../../activities/flink/errors';
import { FlinkRestClient, type RunJarOptions } from '../../activities/flink/rest-client';
import { TERMINAL_JOB_STATES, matchTaskManagers, type JobState, type SavepointStatus, type TaskManagerSummary } from '../../activities/flink/rest-types';
import { freePort } from '../../activities/runtime/local/ports';
import { waitUntil } from '../../activities/runtime/local/wait';
import { toolchain } from '../../scripts/toolchain';
import { startFlinkCluster, type FlinkTestCluster } from '../harness/flink';

const WORD_COUNT = 'org.apache.flink.streaming.examples.wordcount.WordCount';
const TOP_SPEED = 'org.apache.flink.streaming.examples.windowing.TopSpeedWindowing';
const SOCKET_WORD_COUNT = 'org.apache.flink.streaming.examples.socket.SocketWindowWordCount';

const newJobId = (): string => randomBytes(16).toString('hex');

function assertFailureType(error: unknown, type: string): ApplicationFailure {
  const failure = classifyFlinkError(error);
  assert.ok(failure instanceof ApplicationFailure, String(failure));
  assert.equal(failure.type, type, failure.message);
  return failure;
}

describe('FlinkRestClient against a session cluster of three single-slot TaskManagers', () => {
  let cluster: FlinkTestCluster;
  let flink: FlinkRestClient;
  let jarId: string;
  /** Jobs a test started; cancelled after it so the next one finds free slots. */
  let started: string[] = [];

  before(async () => {
    cluster = await startFlinkCluster({ taskManagers: 3 });
    flink = new FlinkRestClient(cluster.restUrl);
    jarId = await flink.uploadJar(toolchain().flinkExamplesJar);
  });

  after(async () => {
    await cluster?.stop();
  });

  afterEach(async () => {
    await Promise.all(started.map((jobId) => flink.cancelJob(jobId)));
    await Promise.all(started.map((jobId) => waitForState(jobId, TERMINAL_JOB_STATES)));
    started = [];
  });

  async function run(options: Omit<RunJarOptions, 'jobId'> & { jobId?: string }): Promise<string> {
    const jobId = await flink.runJar(jarId, { jobId: options.jobId ?? newJobId(), ...options });
    started.push(jobId);
    return jobId;
  }

  function waitForState(jobId: string, states: readonly JobState[]): Promise<JobState> {
    return waitUntil(`job ${jobId} in ${states.join('|')}`, async () => {
      const { state } = await flink.job(jobId);
      return states.includes(state) ? state : undefined;
    }, { timeoutMs: 60_000 });
  }

  /** RUNNING is reported before the tasks are; a savepoint or a location needs them deployed. */
  function waitForRunningTasks(jobId: string): Promise<true> {
    return waitUntil(`tasks of ${jobId} running`, async () => {
      const job = await flink.job(jobId);
      return job.state === 'RUNNING' && job.vertices.every((v) => v.status === 'RUNNING') ? true : undefined;
    }, { timeoutMs: 60_000 });
  }

  function waitForSavepoint(jobId: string, trigger: string): Promise<SavepointStatus> {
    return waitUntil(`savepoint ${trigger}`, async () => {
      const status = await flink.savepointStatus(jobId, trigger);
      return status.state === 'IN_PROGRESS' ? undefined : status;
    }, { timeoutMs: 60_000 });
  }

  async function savepointLocation(jobId: string, trigger: string): Promise<string> {
    const status = await waitForSavepoint(jobId, trigger);
    assert.ok(status.state === 'COMPLETED', JSON.stringify(status));
    return status.location;
  }

  it('reports the cluster overview as numbers and the Flink version', async () => {
    const overview = await flink.overview();
    assert.deepEqual(
      { taskManagers: overview.taskManagers, slotsTotal: overview.slotsTotal, flinkVersion: overview.flinkVersion },
      { taskManagers: 3, slotsTotal: 3, flinkVersion: '2.3.0' },
    );
  });

  it('lists the TaskManagers by their resource ids, each with one slot', async () => {
    const taskManagers = await flink.taskManagers();
    assert.deepEqual(taskManagers.map((t) => t.id).sort(), ['taskmanager-1', 'taskmanager-2', 'taskmanager-3']);
    assert.ok(taskManagers.every((t) => t.slotsNumber === 1 && t.dataPort > 0));
  });

  it('starts one job when the same jar is run twice with the same job id', async () => {
    const jobId = newJobId();
    const before = (await flink.jobs()).length;
    assert.equal(await run({ jobId, entryClass: TOP_SPEED }), jobId);
    assert.equal(await run({ jobId, entryClass: TOP_SPEED }), jobId);
    const jobs = await flink.jobs();
    assert.equal(jobs.length, before + 1);
    assert.equal(jobs.filter((j) => j.id === jobId).length, 1);
  });

  it('follows a bounded job to FINISHED', async () => {
    const jobId = await run({ entryClass: WORD_COUNT });
    assert.equal(await waitForState(jobId, TERMINAL_JOB_STATES), 'FINISHED');
    const job = await flink.job(jobId);
    assert.ok(job.vertices.length > 0);
    assert.deepEqual(job.vertices.filter((v) => v.status !== 'FINISHED').map((v) => v.name), [], 'every task of a finished job finished');
    assert.ok(job.endTime !== undefined && job.startTime !== undefined && job.endTime >= job.startTime, `ended at ${job.endTime}, started at ${job.startTime}`);
  });

  it('cancels a running job, and cancelling it again changes nothing', async () => {
    const jobId = await run({ entryClass: TOP_SPEED });
    await waitForState(jobId, ['RUNNING']);
    await flink.cancelJob(jobId);
    assert.equal(await waitForState(jobId, TERMINAL_JOB_STATES), 'CANCELED');
    await flink.cancelJob(jobId);
    assert.equal((await flink.job(jobId)).state, 'CANCELED');
  });

  it('finds the one TaskManager, of three, that a parallelism-1 job runs on', async () => {
    const jobId = await run({ entryClass: TOP_SPEED, parallelism: 1 });
    await waitForRunningTasks(jobId);
    const [taskManager, ...others] = await flink.jobTaskManagers(jobId);
    assert.ok(taskManager && others.length === 0, `expected one TaskManager, got ${[taskManager, ...others].join(', ')}`);
    assert.deepEqual((await flink.taskManager(taskManager)).jobIds, [jobId]);
    const idle = (await flink.taskManagers()).filter((t) => t.id !== taskManager);
    assert.deepEqual(idle.map((t) => t.freeSlots), [1, 1]);
  });

  it('stops a job with a savepoint in the target directory that exists on disk', async () => {
    const jobId = await run({ entryClass: TOP_SPEED });
    await waitForRunningTasks(jobId);
    const targetDirectory = `file://${join(cluster.dir, 'stop-savepoints')}`;
    const path = fileURLToPath(await savepointLocation(jobId, await flink.stopWithSavepoint(jobId, { targetDirectory, drain: false })));
    assert.ok(path.startsWith(join(cluster.dir, 'stop-savepoints')), path);
    assert.ok(existsSync(join(path, '_metadata')), `no savepoint at ${path}`);
    assert.equal(await waitForState(jobId, TERMINAL_JOB_STATES), 'FINISHED');
  });

  it('starts a job from a savepoint and reports it as the restored checkpoint', async () => {
    const first = await run({ entryClass: TOP_SPEED });
    await waitForRunningTasks(first);
    const targetDirectory = `file://${join(cluster.dir, 'savepoints')}`;
    const savepoint = await savepointLocation(first, await flink.triggerSavepoint(first, { targetDirectory, cancelJob: true }));
    assert.equal((await flink.checkpoints(first)).latest?.externalPath, savepoint);
    await waitForState(first, TERMINAL_JOB_STATES);

    const second = await run({ entryClass: TOP_SPEED, savepointPath: savepoint });
    await waitForState(second, ['RUNNING']);
    const { restored } = await flink.checkpoints(second);
    assert.deepEqual({ isSavepoint: restored?.isSavepoint, externalPath: restored?.externalPath }, { isSavepoint: true, externalPath: savepoint });
  });

  it('takes one savepoint when a trigger is retried with the same trigger id', async () => {
    const jobId = await run({ entryClass: TOP_SPEED });
    await waitForRunningTasks(jobId);
    const directory = join(cluster.dir, 'retried-trigger');
    const options = { targetDirectory: `file://${directory}`, triggerId: newJobId() };
    assert.equal(await flink.triggerSavepoint(jobId, options), options.triggerId);
    assert.equal(await flink.triggerSavepoint(jobId, options), options.triggerId);
    await savepointLocation(jobId, options.triggerId);
    assert.equal(readdirSync(directory).filter((name) => name.startsWith('savepoint-')).length, 1);
  });

  it('reports a savepoint that could not be written as FAILED with its cause', async () => {
    const jobId = await run({ entryClass: TOP_SPEED });
    await waitForRunningTasks(jobId);
    const status = await waitForSavepoint(jobId, await flink.triggerSavepoint(jobId, { targetDirectory: 'file:///proc/flink-fleet-cannot-write-here' }));
    assert.ok(status.state === 'FAILED', JSON.stringify(status));
    assert.match(status.cause, /^IOException: Failed to create savepoint directory/);
  });

  it('gives the root cause of a failed job, not its stack trace', async () => {
    const closedPort = await freePort();
    const jobId = await run({ entryClass: SOCKET_WORD_COUNT, programArgs: ['--hostname', '127.0.0.1', '--port', String(closedPort)] });
    assert.equal(await waitForState(jobId, TERMINAL_JOB_STATES), 'FAILED');
    const { failures } = await flink.jobExceptions(jobId);
    assert.equal(failures[0]?.rootCause, 'ConnectException: Connection refused');
  });

  it('rejects an entry class the jar does not have as InvalidJar', async () => {
    const error = await flink.runJar(jarId, { jobId: newJobId(), entryClass: 'org.example.Missing' }).catch((e: unknown) => e);
    const failure = assertFailureType(error, FlinkErrorType.InvalidJar);
    assert.equal(failure.message, "The program's entry point class 'org.example.Missing' was not found in the jar file.");
  });

  it('reports an unknown job as JobNotFound', async () => {
    assertFailureType(await flink.job(newJobId()).catch((e: unknown) => e), FlinkErrorType.JobNotFound);
  });

  it('reports an unknown TaskManager as TaskManagerNotFound', async () => {
    assertFailureType(await flink.taskManager('taskmanager-9').catch((e: unknown) => e), FlinkErrorType.TaskManagerNotFound);
  });
});

describe('FlinkRestClient without a Flink to talk to', () => {
  it('classifies a request to a closed port as retryable FlinkUnavailable', async () => {
    const error = await new FlinkRestClient(`http://127.0.0.1:${await freePort()}`).overview().catch((e: unknown) => e);
    assert.ok(error instanceof FlinkUnreachable, String(error));
    assert.match(error.reason, /ECONNREFUSED/);
    const failure = assertFailureType(error, FlinkErrorType.Unavailable);
    assert.equal(failure.nonRetryable, false);
  });
});

describe('matchTaskManagers', () => {
  const taskManager = (id: string, dataPort: number): TaskManagerSummary => ({
    id, dataPort, path: `pekko.tcp://flink@127.0.0.1:1/user/rpc/${id}`, slotsNumber: 1, freeSlots: 0, timeSinceLastHeartbeat: 0,
  });
  const known = [taskManager('tm-a', 4001), taskManager('tm-b', 4002), taskManager('tm-c', 4002)];

  it('matches by the TaskManager id Flink gives', () => {
    assert.deepEqual(matchTaskManagers([{ endpoint: 'localhost:4002', taskManagerId: 'tm-c' }], known), ['tm-c']);
  });

  it('falls back to the data port when no id is given, written with another host name', () => {
    assert.deepEqual(matchTaskManagers([{ endpoint: 'localhost:4001' }], known), ['tm-a']);
  });

  it('names no TaskManager for an unscheduled subtask or an ambiguous port', () => {
    assert.deepEqual(matchTaskManagers([{ endpoint: '(unassigned)', taskManagerId: '(unassigned)' }, { endpoint: 'localhost:4002' }], known), []);
  });
});
