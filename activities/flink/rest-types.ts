import { z } from 'zod';
import { parseJavaTrace, rootCause, sqlErrorMessage } from './errors';

/**
 * What Flink's REST API answers, validated into types. Each schema checks the fields we use (and
 * ignores the rest: Flink adds fields between versions) and maps Flink's kebab-case names to ours.
 */

/** Flink writes an absent value as a missing field or as `null`, depending on the endpoint. */
const absent = <T extends z.ZodType>(schema: T) => schema.nullish().transform((v) => v ?? undefined);

/** Flink's "not yet" / "never" for timestamps is -1 (or 0). */
const timestamp = z.number().transform((t) => (t > 0 ? t : undefined));

export const JOB_STATES = [
  'INITIALIZING', 'CREATED', 'RUNNING', 'FAILING', 'FAILED', 'CANCELLING', 'CANCELED', 'FINISHED', 'RESTARTING',
  'SUSPENDED', 'RECONCILING',
] as const;
export type JobState = (typeof JOB_STATES)[number];
export const TERMINAL_JOB_STATES: readonly JobState[] = ['FAILED', 'CANCELED', 'FINISHED', 'SUSPENDED'];

export interface ClusterOverview {
  readonly taskManagers: number;
  readonly slotsTotal: number;
  readonly slotsAvailable: number;
  readonly jobsRunning: number;
  readonly jobsFinished: number;
  readonly jobsCancelled: number;
  readonly jobsFailed: number;
  readonly flinkVersion: string;
}

export const clusterOverview: z.ZodType<ClusterOverview> = z.object({
  taskmanagers: z.number(), 'slots-total': z.number(), 'slots-available': z.number(), 'jobs-running': z.number(),
  'jobs-finished': z.number(), 'jobs-cancelled': z.number(), 'jobs-failed': z.number(), 'flink-version': z.string(),
}).transform((o) => ({
  taskManagers: o.taskmanagers, slotsTotal: o['slots-total'], slotsAvailable: o['slots-available'],
  jobsRunning: o['jobs-running'], jobsFinished: o['jobs-finished'], jobsCancelled: o['jobs-cancelled'],
  jobsFailed: o['jobs-failed'], flinkVersion: o['flink-version'],
}));

const taskManagerSummary = z.object({
  /** The resource id: `taskmanager.resource-id` when set (the pool sets it), else host:port-random. */
  id: z.string(),
  path: z.string(),
  dataPort: z.number(),
  slotsNumber: z.number(),
  freeSlots: z.number(),
  timeSinceLastHeartbeat: z.number(),
});
export type TaskManagerSummary = z.infer<typeof taskManagerSummary>;

export const taskManagerList: z.ZodType<TaskManagerSummary[]> = z.object({ taskmanagers: z.array(taskManagerSummary) })
  .transform((o) => o.taskmanagers);

export interface TaskManagerDetails extends TaskManagerSummary {
  /** The jobs holding this TaskManager's slots. */
  readonly jobIds: string[];
}

export const taskManagerDetails: z.ZodType<TaskManagerDetails> = taskManagerSummary
  .extend({ allocatedSlots: z.array(z.object({ jobId: z.string() })) })
  .transform(({ allocatedSlots, ...summary }) => ({ ...summary, jobIds: [...new Set(allocatedSlots.map((s) => s.jobId))] }));

/** Flink names an uploaded jar by the last part of the path it stored it under. */
export const uploadedJarId: z.ZodType<string> = z.object({ filename: z.string() })
  .transform((o) => o.filename.slice(o.filename.lastIndexOf('/') + 1));
export const jarRunJobId: z.ZodType<string> = z.object({ jobid: z.string() }).transform((o) => o.jobid);
export const triggerId: z.ZodType<string> = z.object({ 'request-id': z.string() }).transform((o) => o['request-id']);

export interface JobSummary {
  readonly id: string;
  readonly name: string;
  readonly state: JobState;
  readonly startTime?: number;
  readonly endTime?: number;
  readonly lastModification: number;
}

export const jobList: z.ZodType<JobSummary[]> = z.object({
  jobs: z.array(z.object({
    jid: z.string(), name: z.string(), state: z.enum(JOB_STATES), 'start-time': timestamp, 'end-time': timestamp, 'last-modification': z.number(),
  }).transform((j) => ({
    id: j.jid, name: j.name, state: j.state, startTime: j['start-time'], endTime: j['end-time'], lastModification: j['last-modification'],
  }))),
}).transform((o) => o.jobs);

export interface JobVertex {
  readonly id: string;
  readonly name: string;
  readonly parallelism: number;
  /** The most it can ever run at: its state is split into this many key groups when the job first starts. */
  readonly maxParallelism: number;
  /** The vertex's execution state: CREATED, SCHEDULED, DEPLOYING, INITIALIZING, RUNNING, FINISHED... */
  readonly status: string;
}

export interface JobDetails {
  readonly id: string;
  readonly name: string;
  readonly state: JobState;
  readonly startTime?: number;
  readonly endTime?: number;
  readonly durationMs: number;
  readonly vertices: JobVertex[];
}

/**
 * The job processes: RUNNING, and every task too (a job is RUNNING while its tasks still deploy;
 * a bounded source's finished task counts). The fleet's meaning of a started pipeline. Pure.
 */
export function allTasksRunning(job: Pick<JobDetails, 'state' | 'vertices'>): boolean {
  return job.state === 'RUNNING' && job.vertices.every((v) => v.status === 'RUNNING' || v.status === 'FINISHED');
}

export const jobDetails: z.ZodType<JobDetails> = z.object({
  jid: z.string(), name: z.string(), state: z.enum(JOB_STATES), 'start-time': timestamp, 'end-time': timestamp, duration: z.number(),
  vertices: z.array(z.object({ id: z.string(), name: z.string(), parallelism: z.number(), maxParallelism: z.number(), status: z.string() })),
}).transform((j) => ({
  id: j.jid, name: j.name, state: j.state, startTime: j['start-time'], endTime: j['end-time'], durationMs: j.duration, vertices: j.vertices,
}));

/** The parallelism range the adaptive scheduler may run one job vertex at (FLIP-291). */
export interface ParallelismBounds {
  readonly lowerBound: number;
  readonly upperBound: number;
}

/** By job vertex id. */
export type JobResourceRequirements = Readonly<Record<string, ParallelismBounds>>;

const parallelismBounds = z.object({ lowerBound: z.number().int(), upperBound: z.number().int() });

export const jobResourceRequirements: z.ZodType<JobResourceRequirements> = z.record(z.string(), z.object({ parallelism: parallelismBounds }))
  .transform((byVertex) => Object.fromEntries(Object.entries(byVertex).map(([vertex, { parallelism }]) => [vertex, parallelism])));

/** The body `PUT /jobs/:id/resource-requirements` takes: what `GET` answers, before our transform. */
export function resourceRequirementsBody(requirements: JobResourceRequirements): Record<string, { parallelism: ParallelismBounds }> {
  return Object.fromEntries(Object.entries(requirements).map(([vertex, bounds]) => [vertex, { parallelism: bounds }]));
}

/** One metric of a vertex aggregated over its subtasks; absent where Flink has none (a source's busy time is NaN). */
export interface AggregatedMetric {
  readonly avg?: number;
  readonly max?: number;
}

/** Flink writes NaN as the string "NaN". */
const metricValue = z.union([z.number(), z.string()]).transform((v) => (Number.isFinite(Number(v)) ? Number(v) : undefined));

export const aggregatedMetrics: z.ZodType<Readonly<Record<string, AggregatedMetric>>> = z.array(z.object({ id: z.string(), avg: metricValue, max: metricValue }))
  .transform((metrics) => Object.fromEntries(metrics.map(({ id, avg, max }) => [id, { avg, max }])));

export interface JobFailure {
  readonly timestamp: number;
  /** The root cause's first line, e.g. `ConnectException: Connection refused`. */
  readonly rootCause: string;
  /** Set when the job failed on its SQL (a pipeline's script): Flink's message with line and column. */
  readonly sqlError?: string;
  readonly taskName?: string;
  readonly taskManagerId?: string;
}

export interface JobExceptions {
  /** The newest failure first; empty while the job never failed. */
  readonly failures: JobFailure[];
  /** Flink keeps a bounded history (`web.exception-history-size`). */
  readonly truncated: boolean;
}

const jobFailure = z.object({
  timestamp: z.number(), stacktrace: z.string(), taskName: absent(z.string()), taskManagerId: absent(z.string()),
}).transform(({ stacktrace, ...entry }): JobFailure => {
  const causes = parseJavaTrace(stacktrace);
  return { ...entry, rootCause: rootCause(causes), sqlError: sqlErrorMessage(causes) };
});

export const jobExceptions: z.ZodType<JobExceptions> = z.object({
  exceptionHistory: z.object({ entries: z.array(jobFailure), truncated: z.boolean() }),
}).transform((o) => ({ failures: o.exceptionHistory.entries, truncated: o.exceptionHistory.truncated }));

/** Where one vertex's subtasks run. Flink 2.3 gives both the data endpoint (`localhost:43683`) and the id. */
export interface VertexLocation {
  readonly endpoint: string;
  readonly taskManagerId?: string;
}

export const vertexLocations: z.ZodType<VertexLocation[]> = z.object({
  taskmanagers: z.array(z.object({ endpoint: z.string(), 'taskmanager-id': absent(z.string()) })
    .transform((t) => ({ endpoint: t.endpoint, taskManagerId: t['taskmanager-id'] }))),
}).transform((o) => o.taskmanagers);

/**
 * The registered TaskManagers that `locations` name, by id; by data port when the id is missing or
 * unknown (older Flink versions give only the endpoint, whose host is written differently from the
 * TaskManager's address), only when that port is unambiguous. Unscheduled subtasks name no TaskManager.
 */
export function matchTaskManagers(locations: readonly VertexLocation[], known: readonly TaskManagerSummary[]): string[] {
  const matched = new Set<string>();
  for (const location of locations) {
    const byId = known.find((t) => t.id === location.taskManagerId);
    const port = Number(location.endpoint.slice(location.endpoint.lastIndexOf(':') + 1));
    const byPort = known.filter((t) => t.dataPort === port);
    const match = byId ?? (byPort.length === 1 ? byPort[0] : undefined);
    if (match) matched.add(match.id);
  }
  return [...matched].sort();
}

export type SavepointStatus =
  | { readonly state: 'IN_PROGRESS' }
  | { readonly state: 'COMPLETED'; readonly location: string }
  | { readonly state: 'FAILED'; readonly cause: string };

/** Flink reports a failed savepoint as status COMPLETED with a `failure-cause` instead of a location. */
export const savepointStatus: z.ZodType<SavepointStatus> = z.object({
  status: z.object({ id: z.enum(['IN_PROGRESS', 'COMPLETED']) }),
  operation: absent(z.object({
    location: absent(z.string()),
    'failure-cause': absent(z.object({ 'stack-trace': z.string() })),
  })),
}).transform(({ status, operation }): SavepointStatus => {
  if (status.id === 'IN_PROGRESS') return { state: 'IN_PROGRESS' };
  if (operation?.location !== undefined) return { state: 'COMPLETED', location: operation.location };
  const trace = operation?.['failure-cause']?.['stack-trace'];
  return { state: 'FAILED', cause: trace ? rootCause(parseJavaTrace(trace)) : 'Flink gave no location and no cause' };
});

export interface CompletedCheckpoint {
  readonly id: number;
  readonly isSavepoint: boolean;
  /** Where it can be restored from; absent when it is not externally addressable. */
  readonly externalPath?: string;
  readonly completedAt: number;
}

export interface RestoredCheckpoint {
  readonly id: number;
  readonly isSavepoint: boolean;
  readonly externalPath?: string;
  readonly restoredAt: number;
}

export interface JobCheckpoints {
  readonly latestCheckpoint?: CompletedCheckpoint;
  readonly latestSavepoint?: CompletedCheckpoint;
  /** The newer of the two: what a restart should resume from. */
  readonly latest?: CompletedCheckpoint;
  /** What this run of the job started from. */
  readonly restored?: RestoredCheckpoint;
}

/** Flink writes `<checkpoint-not-externally-addressable>` where there is no path. */
const externalPath = absent(z.string()).transform((path) => (path?.startsWith('<') ? undefined : path));

const completedCheckpoint = absent(z.object({
  id: z.number(), is_savepoint: z.boolean(), external_path: externalPath, latest_ack_timestamp: z.number(),
}).transform((c): CompletedCheckpoint => ({ id: c.id, isSavepoint: c.is_savepoint, externalPath: c.external_path, completedAt: c.latest_ack_timestamp })));

const restoredCheckpoint = absent(z.object({
  id: z.number(), is_savepoint: z.boolean(), external_path: externalPath, restore_timestamp: z.number(),
}).transform((c): RestoredCheckpoint => ({ id: c.id, isSavepoint: c.is_savepoint, externalPath: c.external_path, restoredAt: c.restore_timestamp })));

/** Checkpoint ids count up across checkpoints and savepoints of a job, so the higher id is the newer. */
function newer(a: CompletedCheckpoint | undefined, b: CompletedCheckpoint | undefined): CompletedCheckpoint | undefined {
  if (!a || !b) return a ?? b;
  return b.id > a.id ? b : a;
}

export const jobCheckpoints: z.ZodType<JobCheckpoints> = z.object({
  latest: z.object({ completed: completedCheckpoint, savepoint: completedCheckpoint, restored: restoredCheckpoint }),
}).transform(({ latest }) => ({
  latestCheckpoint: latest.completed,
  latestSavepoint: latest.savepoint,
  latest: newer(latest.completed, latest.savepoint),
  restored: latest.restored,
}));
