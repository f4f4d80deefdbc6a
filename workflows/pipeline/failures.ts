import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';

/**
 * An activity's typed failure (InvalidSql, FlinkJobFailed...) arrives wrapped in an ActivityFailure;
 * the workflow fails with the typed failure itself, so callers can branch on its type.
 */
export function applicationFailureOf(error: unknown): unknown {
  return error instanceof ActivityFailure && error.cause instanceof ApplicationFailure ? error.cause : error;
}

