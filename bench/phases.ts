import { percentile } from '../workflows/pool/percentile';
import type { PreviewTimings } from '../workflows/preview/api';

/**
 * Pure: where one first row's time went. Instants (epoch ms, one host's clock: the bench, the worker,
 * the Temporal server and Flink's JVMs run on the same machine), each optional: a raw gateway run has
 * no workflow, and a figure Flink did not give is left out rather than guessed.
 */
export interface RunMarks {
  /** The caller's call (a preview) or the raw client's first request. */
  readonly calledAt: number;
  readonly workflowStartedAt?: number;
  readonly inspectedAt?: number;
  readonly grantedAt?: number;
  /** The query activity began; for a raw run, the call itself. */
  readonly queryStartedAt?: number;
  /** Session open and DDL run: the SELECT is submitted next. */
  readonly sessionReadyAt?: number;
  readonly jobIdAt?: number;
  /** The first row read from the gateway (by the activity, or the raw client). */
  readonly gatewayFirstRowAt?: number;
  readonly workflowFirstRowAt?: number;
  readonly callerFirstRowAt?: number;
  /** From Flink's REST API: the job CREATED, its first task DEPLOYING, all its tasks RUNNING. */
  readonly jobCreatedAt?: number;
  readonly taskDeployingAt?: number;
  readonly tasksRunningAt?: number;
}

type Instant = Exclude<keyof RunMarks, 'calledAt'> | 'calledAt';

export interface Phase {
  readonly key: string;
  readonly label: string;
  readonly from: Instant;
  readonly to: Instant;
}

/** A preview's way to its first row, one step after another; the steps a raw run also takes are marked for it. */
export const PREVIEW_PHASES: readonly Phase[] = [
  { key: 'start', label: 'the caller\'s call until the workflow started', from: 'calledAt', to: 'workflowStartedAt' },
  { key: 'inspect', label: 'SQL inspection (Flink\'s planner in the inspector)', from: 'workflowStartedAt', to: 'inspectedAt' },
  { key: 'grant', label: 'the pool\'s grant of a TaskManager (the claim Update)', from: 'inspectedAt', to: 'grantedAt' },
  { key: 'query-start', label: 'the query activity\'s start', from: 'grantedAt', to: 'queryStartedAt' },
  { key: 'session', label: 'gateway session open + DDL', from: 'queryStartedAt', to: 'sessionReadyAt' },
  { key: 'job-id', label: 'SELECT submitted until its job id is known', from: 'sessionReadyAt', to: 'jobIdAt' },
  { key: 'first-row', label: 'job id known until the first row is read from the gateway', from: 'jobIdAt', to: 'gatewayFirstRowAt' },
  { key: 'to-workflow', label: 'until the first row reaches the workflow (a signal)', from: 'gatewayFirstRowAt', to: 'workflowFirstRowAt' },
  { key: 'to-caller', label: 'until it reaches the caller (the nextRows long-poll)', from: 'workflowFirstRowAt', to: 'callerFirstRowAt' },
];

/** The gateway's and the job's share, each since the SELECT was submitted: what "SELECT submitted … first row" is made of. */
export const JOB_PHASES: readonly Phase[] = [
  { key: 'created', label: 'the job CREATED in the JobManager (gateway: planning, submission)', from: 'sessionReadyAt', to: 'jobCreatedAt' },
  { key: 'deploying', label: 'its task DEPLOYING to the TaskManager (JobManager: scheduling, slot)', from: 'sessionReadyAt', to: 'taskDeployingAt' },
  { key: 'running', label: 'its tasks RUNNING (TaskManager: deployment, task start)', from: 'sessionReadyAt', to: 'tasksRunningAt' },
  { key: 'job-id', label: 'the job id known to the gateway\'s client', from: 'sessionReadyAt', to: 'jobIdAt' },
  { key: 'first-row', label: 'the first row read from the gateway', from: 'sessionReadyAt', to: 'gatewayFirstRowAt' },
];

/** The phase's length in one run, or undefined when either end is missing. */
export function phaseMs(marks: RunMarks, phase: Phase): number | undefined {
  const from = marks[phase.from];
  const to = marks[phase.to];
  return from === undefined || to === undefined ? undefined : to - from;
}

export interface PhaseRow {
  readonly label: string;
  readonly warmMs?: number;
  readonly warmP95Ms?: number;
  readonly rawMs?: number;
  readonly rawP95Ms?: number;
  /** warm − raw, medians; a phase only the preview has counts wholly against it. */
  readonly differenceMs?: number;
}

function percentileOf(runs: readonly RunMarks[], phase: Phase, p: number): number | undefined {
  return percentile(runs.map((r) => phaseMs(r, phase)).filter((v): v is number => v !== undefined), p);
}

/** Median and p95 per phase of the warm previews and of the raw runs, and the medians' difference. */
export function phaseRows(phases: readonly Phase[], warm: readonly RunMarks[], raw: readonly RunMarks[]): PhaseRow[] {
  return phases.map((phase) => {
    const warmMs = percentileOf(warm, phase, 50);
    const rawMs = percentileOf(raw, phase, 50);
    const differenceMs = warmMs === undefined ? undefined : warmMs - (rawMs ?? 0);
    return { label: phase.label, warmMs, warmP95Ms: percentileOf(warm, phase, 95), rawMs, rawP95Ms: percentileOf(raw, phase, 95), differenceMs };
  });
}

/** A preview's marks: the caller's two instants, and the workflow's (relative to its start) made instants again. */
export function previewMarks(calledAt: number, callerFirstRowAt: number | undefined, timings: PreviewTimings): RunMarks {
  const phases = timings.phases;
  const at = (ms: number | undefined): number | undefined => (phases === undefined || ms === undefined ? undefined : phases.startedAt + ms);
  return {
    calledAt, callerFirstRowAt, workflowStartedAt: phases?.startedAt,
    inspectedAt: at(phases?.inspectedMs), grantedAt: at(timings.claimMs), queryStartedAt: at(phases?.queryStartedMs),
    sessionReadyAt: at(phases?.sessionReadyMs), jobIdAt: at(phases?.jobIdMs), gatewayFirstRowAt: at(phases?.activityFirstRowMs),
    workflowFirstRowAt: at(timings.firstRowMs),
  };
}
