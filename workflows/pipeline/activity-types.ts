import type { VertexLoad } from './autoscaler';
import type { PipelineSpec } from './spec';

/**
 * The shapes the pipeline activities take and return. The workflow imports only these types (and
 * the activities' type), so no I/O code can reach the workflow bundle.
 */
export interface PipelineRef {
  readonly tenant: string;
  readonly name: string;
}

export interface DeployPipelineInput {
  readonly spec: PipelineSpec;
  readonly jobId: string;
  readonly restoreFrom?: string;
}

export interface DeployedPipeline {
  /** The widest parallelism the tenant's plan holds for this cluster's sizes; absent where no plan limits it. */
  readonly maxParallelism?: number;
}

export type WatchedJobState = 'RUNNING' | 'FINISHED' | 'FAILED' | 'CANCELED' | 'CLUSTER_LOST' | 'DISK_EXCEEDED';

export interface JobWatchResult {
  readonly state: WatchedJobState;
  /** Flink's root exception or the runtime's reason, trimmed for a person. */
  readonly failure?: string;
}

export interface WatchJobInput extends PipelineRef {
  readonly jobId: string;
  /** Return RUNNING after this long without a change, so the workflow can checkpoint its history. */
  readonly boundSeconds: number;
}

export interface StopJobInput extends PipelineRef {
  readonly jobId: string;
  readonly savepoint: boolean;
  readonly drain: boolean;
}

export interface RescaleJobInput {
  /** The spec at the new parallelism: the TaskManagers it needs are what the cluster gets. */
  readonly spec: PipelineSpec;
  readonly jobId: string;
}

/** One look at a running job's load, as the autoscaler reads it (see workflows/pipeline/autoscaler.ts). */
export interface JobLoad {
  readonly jobId: string;
  readonly parallelism: number;
  readonly vertices: readonly VertexLoad[];
}
