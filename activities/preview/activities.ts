import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { claimUpdate, releaseSignal, type ClaimGrant } from '../../workflows/pool/api';
import type { ClaimInput, PreviewQueryInput, PreviewQueryOutcome, StopPreviewInput } from '../../workflows/preview/activity-types';
import { classifyFlinkError } from '../flink/errors';
import { withHeartbeat } from '../heartbeat';
import { FlinkRestClient } from '../flink/rest-client';
import { TERMINAL_JOB_STATES } from '../flink/rest-types';
import { SqlGatewayClient } from '../flink/sql-gateway-client';
import type { ClusterRef, FlinkRuntime } from '../runtime/types';
import { taskManagersOfJob } from './job-location';
import { runPreviewQuery, type PreviewEndpoints } from './query';

/** The pool's `release` signal; a pool that is gone has nothing to release. */
async function releaseToPool(input: StopPreviewInput, taskManagerIds: string[]): Promise<void> {
  try {
    await Context.current().client.workflow.getHandle(input.poolWorkflowId).signal(releaseSignal, { claimId: input.claimId, taskManagerIds });
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) throw error;
  }
}

/** The activities of preview over one runtime. */
export function createPreviewActivities(runtime: FlinkRuntime) {
  async function endpoints(ref: ClusterRef): Promise<PreviewEndpoints> {
    const observed = await runtime.observe({ tenant: ref.tenant, name: ref.name });
    if (!observed.endpoints?.gatewayUrl) {
      throw ApplicationFailure.nonRetryable(`session cluster ${observed.cluster} is not running; is its pool workflow?`, 'ClusterNotFound');
    }
    const http = { transport: runtime.flinkTransport };
    return { rest: new FlinkRestClient(observed.endpoints.restUrl, http), gateway: new SqlGatewayClient(observed.endpoints.gatewayUrl, http) };
  }

  return {
    /** The pool's `claim` Update, under the claim's id: a retried claim is answered, not granted twice. */
    async claimTaskManager(input: ClaimInput): Promise<ClaimGrant> {
      const { poolWorkflowId, ...request } = input;
      try {
        // A claim may wait for a TaskManager to start; heartbeats let a dead worker's claim be retried in seconds.
        return await withHeartbeat(() => Context.current().client.workflow.getHandle(poolWorkflowId)
          .executeUpdate(claimUpdate, { args: [request], updateId: request.claimId }));
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) throw ApplicationFailure.nonRetryable(`no pool is running as ${poolWorkflowId}`, 'PoolNotRunning');
        if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) {
          throw ApplicationFailure.nonRetryable(error.cause.message, error.cause.type ?? 'ClaimFailed');
        }
        throw error;
      }
    },

    async runPreviewQuery(input: PreviewQueryInput): Promise<PreviewQueryOutcome> {
      // Noted before the cluster is looked up, so the breakdown's session phase includes the look-up.
      const startedAt = Date.now();
      return runPreviewQuery(await endpoints(input), input, startedAt);
    },

    /**
     * Finds every job of the preview and where they ran, releases those TaskManagers to the pool, kills
     * them, then cancels the jobs and closes the sessions. Returns the TaskManagers, already killed.
     */
    async stopPreview(input: StopPreviewInput): Promise<string[]> {
      const { rest, gateway } = await endpoints(input);
      try {
        const jobs = previewJobs(await rest.jobs(), input);
        const taskManagers = new Set<string>(input.taskManagerIds);
        for (const job of jobs) for (const id of await taskManagersOfJob(rest, job.id)) taskManagers.add(id);
        // Released before they die: a pool that found them dead while the claim still held its capacity
        // started a TaskManager too many for it, and killed and counted it as surplus later.
        await releaseToPool(input, [...taskManagers]);
        // Killed before the jobs are cancelled: a cancel frees the slot, and Flink would give it to the next job.
        await Promise.all([...taskManagers].map((id) => runtime.killTaskManager(input, id)));
        for (const job of jobs.filter((j) => !TERMINAL_JOB_STATES.includes(j.state))) await rest.cancelJob(job.id);
        for (const session of input.sessions) await gateway.closeSession(session);
        return [...taskManagers].sort();
      } catch (error) {
        throw classifyFlinkError(error);
      }
    },
  };
}

/**
 * A preview's jobs are the ones whose ids the gateway reported to the workflow: a job's name is the
 * session's `pipeline.name`, which a tenant's SQL could set (the inspector refuses that SET, but an
 * id cannot be forged at all). Only when no id was ever reported (the attempt that started the job
 * crashed before the gateway answered with its id) is the name, set by the fleet when it opened the
 * session, the one way left to find it.
 */
export function previewJobs<T extends { readonly id: string; readonly name: string }>(jobs: readonly T[], input: Pick<StopPreviewInput, 'jobIds' | 'workflowId'>): T[] {
  if (input.jobIds.length > 0) return jobs.filter((j) => input.jobIds.includes(j.id));
  return jobs.filter((j) => j.name === input.workflowId);
}

export type PreviewActivities = ReturnType<typeof createPreviewActivities>;
