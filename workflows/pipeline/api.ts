import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { AutoscalerDecision, AutoscalerState } from './autoscaler';
import type { Phase } from './phases';
import type { PipelineSpecInput } from './spec';

/** What the workflow takes, returns and answers; shared by the workflow, the worker and the client. */
export interface StopRequest {
  /** Take a savepoint first (stop-with-savepoint), so the job can be resumed from it later. */
  readonly savepoint: boolean;
  /** Drain: emit MAX_WATERMARK so event-time windows fire before the job stops. */
  readonly drain: boolean;
}

/** A new parallelism for the running job: within the spec's bounds (1..64) and the tenant's plan. */
export interface RescaleRequest {
  readonly parallelism: number;
}

export interface RescaleResult {
  /** The same job as before: a rescale never redeploys. */
  readonly jobId: string;
  readonly previousParallelism: number;
  readonly parallelism: number;
}

/** Carried across continue-as-new: what the next run needs to pick up a job that is running. */
export interface CarriedPipelineState {
  readonly jobId: string;
  readonly restartTimes: readonly number[];
  readonly lastSavepoint?: string;
  readonly startedAt: number;
  readonly autoscaler?: AutoscalerState;
  readonly planMaxParallelism?: number;
}

export interface RunPipelineInput {
  readonly spec: PipelineSpecInput;
  readonly carried?: CarriedPipelineState;
  /** For tests and tuning: how long one watch activity may wait without a change (default 1 hour). */
  readonly watchBoundSeconds?: number;
  /** For tests: continue as new after this many quiet watch cycles, besides Temporal's own suggestion. */
  readonly continueAsNewAfterWatches?: number;
}

export type FinalPhase = Extract<Phase, 'Finished' | 'Stopped' | 'Failed'>;

export interface PipelineResult {
  readonly finalState: FinalPhase;
  readonly savepointPath?: string;
  readonly restarts: number;
  readonly startedAt: string;
  readonly endedAt: string;
}

export interface PipelineStatus {
  readonly tenant: string;
  readonly name: string;
  readonly kind: 'pipeline' | 'connection';
  readonly phase: Phase;
  readonly jobId?: string;
  readonly restarts: number;
  /** What the job runs at, as of its deployment or its last completed rescale. */
  readonly parallelism: number;
  /** What a rescale in progress is taking it to; `parallelism` when none is. */
  readonly targetParallelism: number;
  /** The most a rescale may ask for: 64, or less where the tenant's plan holds fewer TaskManagers of this size. */
  readonly maxParallelism: number;
  /** With an autoscaler policy: its latest decision and the rescales it made, each with its reason. */
  readonly autoscaler?: { readonly lastDecision?: AutoscalerDecision; readonly rescales: readonly (AutoscalerDecision & { outcome: string })[] };
  readonly lastSavepoint?: string;
  readonly startedAt: string;
  readonly failure?: string;
  /** The failure's type (InvalidSpec, JarDigestMismatch, FlinkJobFailed...), for a caller to branch on. */
  readonly failureType?: string;
}

export const stopSignal = defineSignal<[StopRequest]>('stop');
export const stopUpdate = defineUpdate<PipelineResult, [StopRequest]>('stop');
export const statusQuery = defineQuery<PipelineStatus>('status');
export const rescaleUpdate = defineUpdate<RescaleResult, [RescaleRequest]>('rescale');
