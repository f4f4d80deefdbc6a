import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type {
  DeployedPipeline, DeployPipelineInput, JobLoad, JobWatchResult, PipelineRef, RescaleJobInput, StopJobInput, WatchJobInput,
} from '../../workflows/pipeline/activity-types';
import { classifyFlinkError, FlinkErrorType, flinkErrorType } from '../flink/errors';
import { FlinkRestClient } from '../flink/rest-client';
import { allTasksRunning, TERMINAL_JOB_STATES, type JobDetails, type JobState } from '../flink/rest-types';
import { pollPause, withHeartbeat } from '../heartbeat';
import { ClusterStartFailed, type ApplicationClusterSpec, type FlinkRuntime } from '../runtime/types';
import { applicationClusterSpec } from './cluster-spec';
import { currentParallelism, requirementsAt, runsAt } from './rescale-plan';
import { restoreFromProblems, tenantStoragePrefixOf } from './tenant-storage';

const POLL_MS = 1_000;
/** A start is seconds long and the caller waits on it: a poll a quarter of a second apart costs its JobManager a few requests, not the caller half a second. */
const START_POLL_MS = 250;
/**
 * A running job is looked at this often: once from the runtime's watched cache (no Kubernetes request)
 * and once over REST. A thousand watched pipelines make a hundred REST requests a second to their
 * JobManagers; a job that ends is noticed within this.
 */
const WATCH_POLL_MS = 10_000;
const BUSY = 'busyTimeMsPerSecond';
const BACK_PRESSURED = 'backPressuredTimeMsPerSecond';

/**
 * The activities of runPipeline over one runtime. Each is idempotent: a retry after a worker crash
 * finds what the first attempt did (the cluster by name, the job by its id, the savepoint by its
 * trigger id) instead of doing it twice.
 */
export function createPipelineActivities(runtime: FlinkRuntime) {
  /** For the loops that look again and again: no API request per look where the runtime watches (bad news is still confirmed). */
  const observe = (ref: PipelineRef) => (runtime.observeWatched ?? runtime.observe).call(runtime, ref);

  async function restClient(ref: PipelineRef): Promise<FlinkRestClient> {
    const observed = await observe(ref);
    if (!observed.endpoints) throw ApplicationFailure.nonRetryable(`cluster ${observed.cluster} does not exist`, 'ClusterNotFound');
    return new FlinkRestClient(observed.endpoints.restUrl, { transport: runtime.flinkTransport });
  }

  /**
   * The job's state, or undefined while the JobManager has not yet accepted it. A job is RUNNING as
   * soon as it is scheduled; it counts as running here only once every task runs, because a
   * savepoint before that fails with "Not all required tasks are currently running".
   */
  async function jobState(client: FlinkRestClient, jobId: string): Promise<JobState | 'DEPLOYING' | undefined> {
    try {
      const job = await client.job(jobId);
      if (job.state === 'RUNNING' && !allTasksRunning(job)) return 'DEPLOYING';
      return job.state;
    } catch (error) {
      if (flinkErrorType(error) === FlinkErrorType.JobNotFound || flinkErrorType(error) === FlinkErrorType.NotFound) return undefined;
      throw classifyFlinkError(error);
    }
  }

  /**
   * Whether the JobManager has accepted the job, from its job list: asking for a job it does not have
   * yet is an error there, and it logs one for every such request.
   */
  async function jobListed(client: FlinkRestClient, jobId: string): Promise<boolean> {
    try {
      return (await client.jobs()).some((job) => job.id === jobId);
    } catch (error) {
      throw classifyFlinkError(error);
    }
  }

  /** The job, unless it has ended: an ended job has nothing left to rescale. */
  async function runningJob(client: FlinkRestClient, jobId: string): Promise<JobDetails> {
    const job = await client.job(jobId);
    if (TERMINAL_JOB_STATES.includes(job.state)) throw ApplicationFailure.nonRetryable(`job ${jobId} is ${job.state}: there is nothing to rescale`, 'NotRunning');
    return job;
  }

  /** A count beyond the tenant's plan is refused by the runtime before it changes anything, and no retry changes that. */
  async function scaleTaskManagers(cluster: ApplicationClusterSpec, client: FlinkRestClient, jobId: string): Promise<void> {
    try {
      await withHeartbeat(async () => runtime.scaleTaskManagers(cluster, await client.jobTaskManagers(jobId)));
    } catch (error) {
      if (error instanceof ClusterStartFailed) throw ApplicationFailure.nonRetryable(error.reason, error.type);
      throw error;
    }
  }

  /** Bad input found by Flink: the cluster goes at once, and the failure says what to fix. */
  async function failFast(ref: PipelineRef, message: string, type: string): Promise<never> {
    await runtime.deleteCluster(ref);
    throw ApplicationFailure.nonRetryable(message, type);
  }

  return {
    async ensureTenant(tenant: string): Promise<void> {
      await runtime.ensureTenant(tenant);
    },

    async deployPipelineCluster(input: DeployPipelineInput): Promise<DeployedPipeline> {
      const ref = { tenant: input.spec.tenant, name: input.spec.name };
      // Before anything starts: a savepoint of another tenant is refused, not retried.
      const outside = restoreFromProblems(input.restoreFrom, tenantStoragePrefixOf(runtime, ref.tenant));
      if (outside.length > 0) throw ApplicationFailure.nonRetryable(`invalid pipeline spec: ${outside.join('; ')}`, 'InvalidSpec');
      const cluster = applicationClusterSpec(input);
      try {
        await withHeartbeat(() => runtime.deployApplicationCluster(cluster));
      } catch (error) {
        if (!(error instanceof ClusterStartFailed)) throw error;
        // A start that only ran out of time may succeed on a retry; what the runtime typed more
        // precisely (QuotaExceeded, Unschedulable...) keeps its type; an untyped JobManager exit on a
        // jar job is the jar's fault (missing file, missing class).
        if (error.type === 'StartTimeout') throw ApplicationFailure.retryable(error.message, error.type);
        const type = error.type !== 'ClusterStartFailed' ? error.type : input.spec.job.kind === 'jar' ? FlinkErrorType.InvalidJar : error.type;
        await failFast(ref, error.reason, type);
      }
      return { maxParallelism: runtime.maxParallelism(cluster) };
    },

    async awaitJobRunning(input: PipelineRef & { jobId: string }): Promise<void> {
      const client = await restClient(input);
      let listed = false;
      for (;;) {
        const observed = await observe(input);
        if (observed.health === 'failed') await failFast(input, observed.reason ?? 'the cluster failed while starting', 'ClusterStartFailed');
        listed ||= await jobListed(client, input.jobId);
        const state = listed ? await jobState(client, input.jobId) : undefined;
        if (state === 'RUNNING' || state === 'FINISHED') return;
        if (state === 'FAILED') {
          const [latest] = (await client.jobExceptions(input.jobId)).failures;
          if (latest?.sqlError) await failFast(input, latest.sqlError, FlinkErrorType.InvalidSql);
          await failFast(input, `the job failed while starting: ${latest?.rootCause ?? 'Flink gave no reason'}`, FlinkErrorType.JobFailed);
        }
        await pollPause(START_POLL_MS, { state });
      }
    },

    /** Waits, heartbeating, until the job leaves RUNNING or the bound passes; costs the history nothing. */
    async watchJob(input: WatchJobInput): Promise<JobWatchResult> {
      const client = await restClient(input);
      const until = Date.now() + input.boundSeconds * 1_000;
      while (Date.now() < until) {
        const observed = await observe(input);
        if (observed.diskExceeded) return { state: 'DISK_EXCEEDED', failure: observed.diskExceeded };
        if (observed.health === 'failed' || observed.health === 'missing') {
          return { state: 'CLUSTER_LOST', failure: observed.reason ?? `cluster ${observed.cluster} is ${observed.health}` };
        }
        const state = await jobState(client, input.jobId).catch(() => undefined);
        if (state === 'FINISHED' || state === 'CANCELED') return { state };
        if (state === 'FAILED') {
          const [latest] = (await client.jobExceptions(input.jobId)).failures;
          return { state, failure: latest?.rootCause };
        }
        // A bound shorter than a poll (the tests' are seconds) ends the watch on time.
        await pollPause(Math.max(0, Math.min(WATCH_POLL_MS, until - Date.now())), { state });
      }
      return { state: 'RUNNING' };
    },

    /**
     * Stop-with-savepoint under a trigger id of our own, remembered in the heartbeat: a retry after
     * a worker crash follows the savepoint the first attempt started; after a failed savepoint it
     * starts a new one.
     */
    async stopJob(input: StopJobInput): Promise<{ savepointPath?: string }> {
      const client = await restClient(input);
      try {
        // A retry after the first attempt stopped the job (and the worker died before saying so)
        // finds the job ended, and the savepoint in the job's checkpoint statistics.
        const { state } = await client.job(input.jobId);
        if (TERMINAL_JOB_STATES.includes(state)) {
          if (!input.savepoint) return {};
          const savepointPath = (await client.checkpoints(input.jobId)).latestSavepoint?.externalPath;
          // A job that ended on its own (or failed) has no savepoint: saying Stopped without one would lose state silently.
          if (!savepointPath) throw ApplicationFailure.nonRetryable(`the job ended ${state} without the savepoint the stop asked for`, 'SavepointFailed');
          return { savepointPath };
        }
        if (!input.savepoint) {
          await client.cancelJob(input.jobId);
          return {};
        }
        const targetDirectory = `${runtime.storageUri(input)}/savepoints`;
        const previous = Context.current().info.heartbeatDetails as { triggerId?: string } | undefined;
        let triggerId = previous?.triggerId;
        if (!triggerId || (await client.savepointStatus(input.jobId, triggerId).catch(() => undefined))?.state !== 'IN_PROGRESS') {
          triggerId = await client.stopWithSavepoint(input.jobId, { targetDirectory, drain: input.drain, triggerId: randomUUID().replace(/-/g, '') });
        }
        for (;;) {
          const status = await client.savepointStatus(input.jobId, triggerId);
          if (status.state === 'COMPLETED') return { savepointPath: status.location };
          if (status.state === 'FAILED') throw ApplicationFailure.retryable(`the savepoint failed: ${status.cause}`, 'SavepointFailed');
          await pollPause(POLL_MS, { triggerId });
        }
      } catch (error) {
        throw classifyFlinkError(error);
      }
    },

    /**
     * The running job at `spec.parallelism` on the cluster it runs on: TaskManagers for the larger of
     * the old and new parallelism first, then the new bounds to Flink's adaptive scheduler, which
     * rescales from the latest checkpoint; once every vertex runs at the new parallelism, the
     * TaskManagers it no longer needs go (idle ones first). Every step finds what an earlier attempt
     * did, so a retry after a crash completes the rescale instead of repeating it.
     */
    async rescaleJob(input: RescaleJobInput): Promise<void> {
      const ref = { tenant: input.spec.tenant, name: input.spec.name };
      const client = await restClient(ref);
      const cluster = applicationClusterSpec({ spec: input.spec, jobId: input.jobId });
      const target = input.spec.parallelism;
      try {
        const running = await runningJob(client, input.jobId);
        await scaleTaskManagers({ ...cluster, parallelism: Math.max(currentParallelism(running.vertices), target) }, client, input.jobId);
        await client.setResourceRequirements(input.jobId, requirementsAt(running.vertices, target));
        for (;;) {
          const job = await runningJob(client, input.jobId);
          if (runsAt(job.vertices, target)) break;
          await pollPause(POLL_MS, { target, vertices: job.vertices.map((v) => `${v.name}: ${v.parallelism} ${v.status}`) });
        }
        await scaleTaskManagers(cluster, client, input.jobId);
      } catch (error) {
        throw classifyFlinkError(error);
      }
    },

    /** Busy and back-pressured time per vertex, as Flink measures them over the last seconds. An observation: it decides nothing. */
    async observeJobLoad(input: PipelineRef & { jobId: string }): Promise<JobLoad> {
      const client = await restClient(input);
      try {
        const job = await runningJob(client, input.jobId);
        const vertices = await Promise.all(job.vertices.map(async (vertex) => {
          const metrics = await client.vertexMetrics(input.jobId, vertex.id, [BUSY, BACK_PRESSURED]);
          const share = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : ms / 1000);
          return { name: vertex.name, busy: share(metrics[BUSY]?.avg), backPressured: share(metrics[BACK_PRESSURED]?.max) ?? 0 };
        }));
        return { jobId: input.jobId, parallelism: currentParallelism(job.vertices), vertices };
      } catch (error) {
        throw classifyFlinkError(error);
      }
    },

    async latestCheckpoint(input: PipelineRef & { jobId: string }): Promise<string | undefined> {
      return runtime.latestCheckpoint(input, input.jobId);
    },

    async deletePipelineCluster(ref: PipelineRef): Promise<void> {
      await withHeartbeat(() => runtime.deleteCluster(ref));
    },
  };
}

export type PipelineActivities = ReturnType<typeof createPipelineActivities>;
