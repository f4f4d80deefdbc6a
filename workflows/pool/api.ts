import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ProcessResources } from '../../activities/runtime/types';
import type { CarriedPoolState } from './state';

/** What maintainIdlePool takes, answers and carries; shared by the workflow, the preview and the client. */

/** The session cluster belongs to the fleet, not to a tenant; previews of every tenant share it. */
export const FLEET_TENANT = 'fleet';

export function poolWorkflowId(sessionCluster: string): string {
  return `pool/${sessionCluster}`;
}

export function sessionClusterRef(sessionCluster: string): { tenant: string; name: string } {
  return { tenant: FLEET_TENANT, name: sessionCluster };
}

export interface PoolConfig {
  /** The session cluster's name (a DNS-1123 label); the workflow id is `pool/<sessionCluster>`. */
  readonly sessionCluster: string;
  /** Idle TaskManagers to keep registered. */
  readonly target: number;
  /** The most `resize` may ask for. */
  readonly maxTarget: number;
  /** Idle plus busy plus starting never exceed this, whatever the demand. */
  readonly maxTaskManagers: number;
  readonly jobManager: ProcessResources;
  readonly taskManager: ProcessResources;
  /** How often the pool compares its books with what the runtime and the JobManager report. */
  readonly reconcileSeconds: number;
  /** When set, the pool sizes itself by the claims it sees, from `minTarget` to `maxTarget` (workflows/pool/sizing.ts). */
  readonly autoSize?: PoolAutoSize;
}

export interface PoolAutoSize {
  /** The fewest idle TaskManagers kept, however quiet. */
  readonly minTarget: number;
  /** Claims older than this do not count towards the rate. */
  readonly windowSeconds: number;
  /** How long without a raise before the target comes down. */
  readonly quietSeconds: number;
  /** Idle TaskManagers kept per TaskManager the measured demand needs. */
  readonly headroom: number;
}

/** What a self-sizing pool saw and decided last, for `pool stats` and the Temporal UI. */
export interface PoolSizing extends PoolAutoSize {
  readonly claimsInWindow: number;
  readonly taskManagerStartP50Ms?: number;
  /** The most recent decisions, oldest first. */
  readonly decisions: readonly { readonly at: string; readonly from: number; readonly to: number; readonly reason: string }[];
}

export type PoolConfigInput = Pick<PoolConfig, 'sessionCluster'> & Partial<Omit<PoolConfig, 'sessionCluster' | 'autoSize'>> & { readonly autoSize?: Partial<PoolAutoSize> };

export interface MaintainIdlePoolInput {
  readonly config: PoolConfigInput;
  readonly carried?: CarriedPoolState;
  /** For tests: continue as new after this many reconciles, besides Temporal's own suggestion. */
  readonly continueAsNewAfterReconciles?: number;
}

export interface ClaimRequest {
  /** Chosen by the preview; a retried claim with the same id gets the same answer, not a second TaskManager. */
  readonly claimId: string;
  readonly previewWorkflowId: string;
  /** How long to wait for a TaskManager to start when none is idle. */
  readonly timeoutMs: number;
}

export interface ClaimGrant {
  readonly claimId: string;
  /** An idle TaskManager was waiting: no start on the caller's clock. */
  readonly hit: boolean;
  readonly waitMs: number;
}

export interface ReleaseRequest {
  readonly claimId: string;
  /** Every TaskManager the preview's job ran on, from the JobManager; they are killed. */
  readonly taskManagerIds: readonly string[];
}

export interface PoolStats {
  readonly target: number;
  readonly idle: number;
  readonly starting: number;
  /** Claims granted and not yet released: previews running. */
  readonly busy: number;
  /** Claims waiting for a TaskManager to start. */
  readonly waiting: number;
  readonly hits: number;
  readonly misses: number;
  readonly claimWaitP50Ms?: number;
  readonly claimWaitP95Ms?: number;
  /** Registered TaskManagers, idle or busy, by id: for operators and tests. */
  readonly readyTaskManagers: readonly string[];
  /** TaskManagers killed after a preview, or found dead or orphaned, since the pool began. */
  readonly killed: number;
  /** Only for a pool that sizes itself. */
  readonly sizing?: PoolSizing;
}

export const claimUpdate = defineUpdate<ClaimGrant, [ClaimRequest]>('claim');
export const releaseSignal = defineSignal<[ReleaseRequest]>('release');
export const resizeUpdate = defineUpdate<PoolStats, [number]>('resize');
export const statsQuery = defineQuery<PoolStats>('stats');
