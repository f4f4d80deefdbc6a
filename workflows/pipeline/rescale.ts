import { ApplicationFailure, log, patched, proxyActivities, upsertMemo } from '@temporalio/workflow';
import type { createPipelineActivities } from '../../activities/pipeline/activities';
import type { PipelineRef } from './activity-types';
import type { RescaleRequest, RescaleResult } from './api';
import { applicationFailureOf } from './failures';
import { rescaleRefusal, type RescaleCandidate } from './rescale-refusal';
import { pipelineSummary, type PipelineSpec } from './spec';

// Starting TaskManagers on a loaded machine, then Flink's cooldown between rescales (30 s) and a checkpoint.
const { rescaleJob } = proxyActivities<ReturnType<typeof createPipelineActivities>>({
  startToCloseTimeout: '10 minutes', heartbeatTimeout: '15 seconds',
  retry: { maximumAttempts: 3, initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

/** What a rescale reads and changes of a pipeline's life (workflow.ts's Lifecycle). */
export interface RescalableLife extends RescaleCandidate {
  spec: PipelineSpec;
  readonly ref: PipelineRef;
  readonly jobId?: string;
  rescaling?: number;
}

/** Refused before it is recorded: a rescale needs a running job and a parallelism the spec and the plan allow. */
export function validateRescale(life: RescalableLife, request: RescaleRequest): void {
  const refusal = rescaleRefusal(life, request);
  if (refusal) throw ApplicationFailure.nonRetryable(refusal.message, refusal.type);
}

/**
 * The same job on the same cluster at a new parallelism (the activity: TaskManagers, then Flink's
 * adaptive scheduler). The spec takes the new parallelism only once Flink runs at it, so a restart
 * or a continue-as-new afterwards keeps it; a failed rescale leaves the spec as it was and fails
 * the update with the activity's typed failure, while the job runs on.
 */
export async function rescale(life: RescalableLife, request: RescaleRequest): Promise<RescaleResult> {
  const jobId = life.jobId as string;
  const previousParallelism = life.spec.parallelism;
  const spec = { ...life.spec, parallelism: request.parallelism };
  life.rescaling = request.parallelism;
  log.info('pipeline rescale', { tenant: life.ref.tenant, pipeline: life.ref.name, from: previousParallelism, to: request.parallelism });
  try {
    await rescaleJob({ spec, jobId });
  } catch (error) {
    throw applicationFailureOf(error);
  } finally {
    life.rescaling = undefined;
  }
  life.spec = spec;
  // Histories of rescales made before the memo followed them replay without this command.
  if (patched('rescale-updates-memo')) upsertMemo({ summary: pipelineSummary(spec) });
  return { jobId, previousParallelism, parallelism: request.parallelism };
}

