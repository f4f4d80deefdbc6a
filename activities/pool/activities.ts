import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { PoolObservation } from '../../workflows/pool/state';
import type {
  KillTaskManagersInput, ObservePoolInput, PoolTaskManagerInput, SessionClusterInput,
} from '../../workflows/pool/activity-types';
import { classifyFlinkError } from '../flink/errors';
import { FlinkRestClient } from '../flink/rest-client';
import { SqlGatewayClient } from '../flink/sql-gateway-client';
import { TERMINAL_JOB_STATES } from '../flink/rest-types';
import { pollPause, withHeartbeat } from '../heartbeat';
import { taskManagersOfJob } from '../preview/job-location';
import { poolObservation } from './observation';
import { warmUpGateway, type WarmUpOutcome } from './warm-up';
import type { ClusterHealth, ClusterRef, FlinkRuntime } from '../runtime/types';

/** Registration is what makes a TaskManager usable; polled often, since a cold preview waits for it. */
const REGISTRATION_POLL_MS = 100;
/** Previews name their jobs after their workflow id (`pipeline.name`), which is how orphans are found. */
const PREVIEW_JOB_PREFIX = 'preview/';

/**
 * The JobManager's REST API serves job details from a cache this old (3 s by default); a preview asks
 * where its job landed right after it starts, so the cache must not hide the scheduling for long.
 */
const SESSION_OPTIONS = {
  'web.refresh-interval': '500 ms',
  // A failed preview job must not be restarted onto another pool TaskManager.
  'restart-strategy.type': 'none',
  // A standalone ResourceManager fails a job it finds no free slot for at once, but only once its
  // start-up period (by default slot.request.timeout, 5 min) is over; 0 makes that period never end.
  // A preview's cleanup kills its TaskManager before cancelling its job, and until that job has
  // failed it asks for a slot again and is handed any free one, that of a TaskManager another
  // preview has just claimed among them; that preview's job must wait the moment for the slot to
  // come back, not fail. A job still waits no longer than slot.request.timeout.
  'resourcemanager.standalone.start-up-time': '0 ms',
} as const;

export type PoolObservationResult = PoolObservation & { readonly sessionCluster: ClusterHealth };

export interface PoolActivityOptions {
  /** Off only for the bench's baseline (bench/first-preview.ts): a fresh gateway's first preview, cold. */
  readonly warmUpSessionClusters?: boolean;
}

/** The activities of maintainIdlePool over one runtime; each is idempotent. */
export function createPoolActivities(runtime: FlinkRuntime, options: PoolActivityOptions = {}) {
  async function restClient(ref: ClusterRef): Promise<FlinkRestClient> {
    const observed = await runtime.observe(ref);
    if (!observed.endpoints) throw ApplicationFailure.nonRetryable(`session cluster ${observed.cluster} does not exist`, 'ClusterNotFound');
    return new FlinkRestClient(observed.endpoints.restUrl, { transport: runtime.flinkTransport });
  }

  /** Temporal's answer for a workflow that has ended or never existed: not running either way. */
  async function isRunning(workflowId: string): Promise<boolean> {
    try {
      const description = await Context.current().client.workflow.getHandle(workflowId).describe();
      return description.status.name === 'RUNNING';
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return false;
      throw error;
    }
  }

  /** The TaskManagers running a preview job whose workflow has ended; those jobs are cancelled. */
  async function orphanedTaskManagers(client: FlinkRestClient): Promise<string[]> {
    const previewJobs = (await client.jobs()).filter((j) => !TERMINAL_JOB_STATES.includes(j.state) && j.name.startsWith(PREVIEW_JOB_PREFIX));
    const orphans: string[] = [];
    for (const job of previewJobs) {
      if (await isRunning(job.name)) continue;
      orphans.push(...(await taskManagersOfJob(client, job.id)));
      await client.cancelJob(job.id);
    }
    return orphans;
  }

  return {
    /** The fleet tenant's namespace and guard rails first: on Kubernetes nothing can be created without them. */
    async ensureSessionCluster(input: SessionClusterInput): Promise<void> {
      await withHeartbeat(async () => {
        await runtime.ensureTenant(input.tenant);
        return runtime.deploySessionCluster({ ...input, flinkOptions: SESSION_OPTIONS });
      });
    },

    /** Runs on a fresh session cluster's gateway what a first preview would, minus the job; `skipped` when turned off. */
    async warmUpSessionCluster(ref: ClusterRef): Promise<WarmUpOutcome | { readonly skipped: true }> {
      if (options.warmUpSessionClusters === false) return { skipped: true };
      const observed = await runtime.observe(ref);
      if (!observed.endpoints?.gatewayUrl) throw ApplicationFailure.nonRetryable(`session cluster ${observed.cluster} has no SQL Gateway`, 'ClusterNotFound');
      try {
        return await warmUpGateway(new SqlGatewayClient(observed.endpoints.gatewayUrl, { transport: runtime.flinkTransport }));
      } catch (error) {
        throw classifyFlinkError(error);
      }
    },

    async deleteSessionCluster(ref: ClusterRef): Promise<void> {
      await withHeartbeat(() => runtime.deleteCluster({ tenant: ref.tenant, name: ref.name }));
    },

    /** Returns once the JobManager lists the TaskManager; a process that dies first fails for good. */
    async startPoolTaskManager(input: PoolTaskManagerInput): Promise<void> {
      await runtime.addTaskManager(input, input.taskManagerId);
      const client = await restClient(input);
      try {
        for (;;) {
          if ((await client.taskManagers()).some((t) => t.id === input.taskManagerId)) return;
          const process = (await runtime.observe(input)).processes.find((p) => p.name === input.taskManagerId);
          if (process && !process.alive) {
            throw ApplicationFailure.nonRetryable(`TaskManager ${input.taskManagerId} exited before it registered`, 'TaskManagerStartFailed');
          }
          await pollPause(REGISTRATION_POLL_MS);
        }
      } catch (error) {
        throw classifyFlinkError(error);
      }
    },

    async killPoolTaskManagers(input: KillTaskManagersInput): Promise<void> {
      await withHeartbeat(() => Promise.all(input.taskManagerIds.map((id) => runtime.killTaskManager(input, id))));
    },

    async observePool(input: ObservePoolInput): Promise<PoolObservationResult> {
      const observed = await runtime.observe(input);
      const empty = { checked: input.ready, alive: [], unknown: [], orphans: [], goneClaims: [] };
      if (!observed.endpoints || observed.health === 'missing' || observed.health === 'failed') return { sessionCluster: observed.health, ...empty };
      const client = new FlinkRestClient(observed.endpoints.restUrl, { transport: runtime.flinkTransport });
      try {
        const alive = observed.processes.filter((p) => p.role === 'taskmanager' && p.alive).map((p) => p.name);
        const goneClaims: string[] = [];
        for (const claim of input.claims) if (!(await isRunning(claim.previewWorkflowId))) goneClaims.push(claim.claimId);
        const orphaned = await orphanedTaskManagers(client);
        return { sessionCluster: observed.health, ...poolObservation({ known: input.known, ready: input.ready, alive, orphaned, goneClaims }) };
      } catch (error) {
        throw classifyFlinkError(error);
      }
    },
  };
}

export type PoolActivities = ReturnType<typeof createPoolActivities>;
