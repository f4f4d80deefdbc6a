import type { ClusterRef } from '../../activities/runtime/types';
import type { ClaimRequest } from '../pool/api';
import type { StoppedBecause } from './api';
import type { RowBudget } from './rows';
import type { QueryMarks } from './timings';

/** The shapes the preview activities take and return; the workflow imports only types. */
export interface ClaimInput extends ClaimRequest {
  readonly poolWorkflowId: string;
}

export interface PreviewQueryInput extends ClusterRef, RowBudget {
  /** Names the job (`pipeline.name`) and receives the progress signals. */
  readonly workflowId: string;
  readonly setup: readonly string[];
  readonly query: string;
  /** Epoch ms: the activity stops paging by itself then, before the workflow's timer has to step in. */
  readonly deadline: number;
}

export interface PreviewQueryOutcome {
  readonly stoppedBecause: Extract<StoppedBecause, 'row-limit' | 'end-of-data' | 'timeout'>;
  readonly jobId?: string;
  readonly taskManagerIds: string[];
  readonly marks?: QueryMarks;
}

export interface StopPreviewInput extends ClusterRef {
  readonly workflowId: string;
  readonly sessions: readonly string[];
  readonly jobIds: readonly string[];
  /** Where the TaskManagers are released, under the preview's claim, before they are killed. */
  readonly poolWorkflowId: string;
  readonly claimId: string;
  /** The TaskManagers the query saw its job on; the JobManager may name more. */
  readonly taskManagerIds: readonly string[];
}
