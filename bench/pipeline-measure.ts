import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FlinkOptions } from '../activities/flink/config';
import { FlinkRestClient } from '../activities/flink/rest-client';
import { allTasksRunning } from '../activities/flink/rest-types';
import { taskManagerCount } from '../activities/runtime/scaling';
import type { ApplicationClusterSpec } from '../activities/runtime/types';
import { applicationClusterOptions, sqlJobArguments } from '../activities/runtime/local/cluster-config';
import { clusterLayout, clusterStorageDir, type ClusterRecord } from '../activities/runtime/local/layout';
import { writeClusterConfig } from '../activities/runtime/local/local-runtime';
import { freePort } from '../activities/runtime/local/ports';
import { listPids, startFlinkProcess, stopProcess } from '../activities/runtime/local/processes';
import type { FleetClient } from '../client/fleet-client';
import type { PipelineSpecInput } from '../workflows/pipeline/spec';
import { startPhases, type StartEvent, type StartPhase } from './start-phases';

/** A pipeline start's timed pieces, with the control plane and without it. */
const START_TIMEOUT_MS = 600_000;
const POLL_MS = 200;

export interface FleetStart {
  readonly ms: number;
  /** Where the time went, from the workflow's history (bench/start-phases.ts). */
  readonly phases: StartPhase[];
}

/** A history event's time in epoch ms (a protobuf Timestamp: seconds as a Long, nanos). */
function eventMs(time: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  return Number(String(time?.seconds ?? 0)) * 1_000 + (time?.nanos ?? 0) / 1e6;
}

/** `startPipeline` → Running by the workflow's own `status`, cut into phases at its history; then stopped (no savepoint), its cluster deleted. */
export async function fleetStartToRunning(fleet: FleetClient, spec: PipelineSpecInput): Promise<FleetStart> {
  const started = performance.now();
  const calledAt = Date.now();
  const { workflowId, runId } = await fleet.startPipeline(spec);
  // Not waitUntil: it would take a pipeline that ended for "not yet" and wait out its timeout.
  for (;;) {
    const status = await fleet.getPipeline(spec.tenant, spec.name);
    if (status.phase === 'Running') break;
    if (status.phase === 'Failed' || status.phase === 'Stopped') throw new Error(`pipeline ${spec.name} ended: ${status.failure ?? status.phase}`);
    if (performance.now() - started > START_TIMEOUT_MS) throw new Error(`pipeline ${spec.name} not Running after ${START_TIMEOUT_MS} ms: ${status.phase}`);
    await sleep(POLL_MS);
  }
  const ms = performance.now() - started;
  const runningAt = Date.now();
  const history = await fleet.temporal.workflow.getHandle(workflowId, runId).fetchHistory();
  const events: StartEvent[] = (history.events ?? []).map((e) => ({
    id: Number(String(e.eventId ?? 0)), atMs: eventMs(e.eventTime),
    scheduled: e.activityTaskScheduledEventAttributes?.activityType?.name ?? undefined,
    completes: e.activityTaskCompletedEventAttributes ? Number(String(e.activityTaskCompletedEventAttributes.scheduledEventId ?? 0)) : undefined,
  }));
  const result = await fleet.stopPipeline(spec.tenant, spec.name, { savepoint: false, drain: false, wait: true });
  if (result?.finalState !== 'Stopped') throw new Error(`pipeline ${spec.name} ended ${result?.finalState ?? 'without a result'}, not Stopped`);
  return { ms, phases: startPhases(events, calledAt, runningAt) };
}

/**
 * Flink's REST polled until the job is RUNNING with every task running, the fleet's own meaning of
 * Running (a job is RUNNING while its tasks still deploy); a JobManager not answering yet counts as
 * "not yet". The job list first: asking for a job not yet submitted makes the JobManager log a stack
 * trace per poll, a cost a user's poll need not add to the start.
 */
export async function jobRunning(rest: FlinkRestClient, jobId: string, started: number): Promise<void> {
  for (;;) {
    const listed = await rest.jobs().then((jobs) => jobs.find((job) => job.id === jobId)?.state, () => undefined);
    const job = listed === 'RUNNING' ? await rest.job(jobId).catch(() => undefined) : undefined;
    if (job && allTasksRunning(job)) return;
    const state = job?.state ?? listed;
    if (state === 'FAILED' || state === 'CANCELED' || state === 'FINISHED') throw new Error(`job ${jobId} is ${state}`);
    if (performance.now() - started > START_TIMEOUT_MS) throw new Error(`job ${jobId} not running all its tasks after ${START_TIMEOUT_MS} ms: ${state ?? 'not listed'}`);
    await sleep(POLL_MS);
  }
}

/**
 * Raw Flink on this machine, as a user without a control plane starts it: the same config.yaml the
 * local runtime writes for `spec` (the runtime's own pure builder, with its class archives), then
 * `standalone-job.sh` with Flink's SqlDriver and one `taskmanager.sh` per needed TaskManager, and the
 * REST API polled until the job and every task run. Everything under `root` is stopped and removed after.
 */
export async function rawLocalStartToRunning(flinkHome: string, classArchives: FlinkOptions, root: string, spec: ApplicationClusterSpec): Promise<number> {
  if (spec.job.kind !== 'sql') throw new Error('the raw start runs SQL pipelines only');
  const cluster = `raw-${spec.name}`;
  const layout = { ...clusterLayout(root, cluster), storage: clusterStorageDir(root, spec.tenant, cluster) };
  const record: ClusterRecord = {
    tenant: spec.tenant, name: spec.name, cluster, kind: 'application', createdAt: new Date().toISOString(),
    ports: { rest: await freePort(), rpc: await freePort() },
  };
  const started = performance.now();
  try {
    writeClusterConfig(flinkHome, layout.conf, applicationClusterOptions(record, layout, spec, classArchives));
    mkdirSync(layout.jobDir, { recursive: true });
    const script = join(layout.jobDir, 'pipeline.sql');
    writeFileSync(script, spec.job.script);
    // Flink's own scripts: raw Flink as its users start it, which the fleet's direct start is measured against.
    const launcher = 'flink-scripts';
    await startFlinkProcess({ flinkHome, clusterDir: layout.dir, role: 'standalone-job', name: 'jobmanager', args: sqlJobArguments(spec.jobId, script), launcher });
    for (let i = 1; i <= taskManagerCount(spec); i++) {
      await startFlinkProcess({ flinkHome, clusterDir: layout.dir, role: 'taskmanager', name: `taskmanager-${i}`, args: [`-Dtaskmanager.resource-id=${cluster}-${i}`], launcher });
    }
    await jobRunning(new FlinkRestClient(`http://127.0.0.1:${record.ports.rest}`, { timeoutMs: 5_000 }), spec.jobId, started);
    return performance.now() - started;
  } finally {
    await Promise.all([...listPids(layout.dir).values()].map((pid) => stopProcess(pid, 5_000)));
    rmSync(layout.dir, { recursive: true, force: true });
    rmSync(layout.storage, { recursive: true, force: true });
  }
}
