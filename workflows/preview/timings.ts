import type { PreviewPhases } from './api';

/**
 * Wall-clock instants (epoch ms) the query activity noted as it went, for the bench's breakdown of a
 * preview's first row. Worker and Flink share the host's clock on the local runtime; across hosts
 * these are only as good as the clocks' agreement.
 */
export interface QueryMarks {
  /** The activity's code began (before it looked the session cluster up). */
  readonly startedAt: number;
  /** The session was open and the setup statements (DDL) had run: the SELECT is submitted next. */
  readonly sessionReadyAt?: number;
  /** The gateway first named the SELECT's job. */
  readonly jobIdAt?: number;
  /** The first page with a row reached the activity. */
  readonly firstRowAt?: number;
}

/** Pure: the workflow's own instants and the activity's marks as milliseconds since the workflow began. */
export function previewPhases(startedAt: number, inspectedAt: number | undefined, marks: QueryMarks | undefined): PreviewPhases {
  const since = (at: number | undefined): number | undefined => (at === undefined ? undefined : at - startedAt);
  return {
    startedAt,
    inspectedMs: since(inspectedAt),
    queryStartedMs: since(marks?.startedAt),
    sessionReadyMs: since(marks?.sessionReadyAt),
    jobIdMs: since(marks?.jobIdAt),
    activityFirstRowMs: since(marks?.firstRowAt),
  };
}
