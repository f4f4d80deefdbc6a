import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

/** What preview takes, returns and answers; shared by the workflow, its activities and the client. */
export type StoppedBecause = 'row-limit' | 'end-of-data' | 'timeout' | 'cancelled' | 'error';

export interface PreviewColumn {
  readonly name: string;
  readonly type: string;
}

/** One row as Flink's SQL Gateway gives it: the change kind (a streaming aggregate retracts) and the fields. */
export interface PreviewRow {
  readonly kind: string;
  readonly fields: unknown[];
}

/**
 * Where a preview's first row spent its time, for the bench: the workflow's start (epoch ms, its own
 * clock), then milliseconds since it. Filled as far as the preview got.
 */
export interface PreviewPhases {
  readonly startedAt: number;
  /** The SQL inspector had answered (the rest of `claimMs` is the pool's grant). */
  readonly inspectedMs?: number;
  /** The query activity began, and as it noted: the session open with its DDL run, the job id known, the first row read. */
  readonly queryStartedMs?: number;
  readonly sessionReadyMs?: number;
  readonly jobIdMs?: number;
  readonly activityFirstRowMs?: number;
}

export interface PreviewTimings {
  /** From the preview's start until the pool granted a TaskManager. */
  readonly claimMs?: number;
  /** An idle TaskManager was waiting for the claim: none had to start on the caller's clock. */
  readonly claimHit?: boolean;
  readonly firstRowMs?: number;
  readonly totalMs: number;
  readonly phases?: PreviewPhases;
}

export interface PreviewResult {
  readonly columns: PreviewColumn[];
  readonly rows: PreviewRow[];
  readonly stoppedBecause: StoppedBecause;
  /** Rows were left out to keep the result within its byte cap. */
  readonly truncated: boolean;
  /** Flink's message when `stoppedBecause` is `error`. */
  readonly error?: string;
  readonly timings: PreviewTimings;
  /** The TaskManagers the job ran on; all killed after it. */
  readonly taskManagerIds: string[];
}

/** What the `rows` query and the `nextRows` Update answer: the rows from `offset` on, and whether more can come. */
export interface RowsPage {
  readonly columns: PreviewColumn[];
  readonly rows: PreviewRow[];
  /** The offset to ask from next time. */
  readonly next: number;
  readonly done: boolean;
  readonly truncated: boolean;
}

/** Sent by the query activity while it runs, so the workflow can answer `rows` and clean up after a crash. */
export interface PreviewProgress {
  readonly session?: string;
  readonly jobId?: string;
  readonly columns?: PreviewColumn[];
  readonly rows?: PreviewRow[];
  /** The activity attempt that read `rows`: a retried query reads its result again from the start. */
  readonly attempt?: number;
  /** The position of `rows[0]` in that attempt's result. */
  readonly offset?: number;
  readonly taskManagerIds?: string[];
}

export const rowsQuery = defineQuery<RowsPage, [number]>('rows');
/**
 * A long-poll: answers once there are rows past the offset or no more can come, so a streaming caller
 * waits in the server instead of polling `rows` (8 callers polling every 50 ms starved the worker).
 */
export const nextRowsUpdate = defineUpdate<RowsPage, [number]>('nextRows');
export const progressSignal = defineSignal<[PreviewProgress]>('progress');
