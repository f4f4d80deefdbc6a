import type { ClusterRef, ProcessResources } from '../../activities/runtime/types';

/** The shapes the pool activities take and return; the workflow imports only types. */
export interface SessionClusterInput extends ClusterRef {
  readonly jobManager: ProcessResources;
  readonly taskManager: ProcessResources;
}

export interface PoolTaskManagerInput extends ClusterRef {
  readonly taskManagerId: string;
}

export interface KillTaskManagersInput extends ClusterRef {
  readonly taskManagerIds: readonly string[];
}

export interface ObservePoolInput extends ClusterRef {
  /** Every TaskManager in the pool's books (ready, starting, doomed). */
  readonly known: readonly string[];
  readonly ready: readonly string[];
  readonly claims: readonly { readonly claimId: string; readonly previewWorkflowId: string }[];
}
