import {
  ActivityCancellationType, ApplicationFailure, CancellationScope, allHandlersFinished, condition, continueAsNew, isCancellation, log,
  proxyActivities, setHandler, upsertSearchAttributes, uuid4, workflowInfo,
} from '@temporalio/workflow';
import type { RetryPolicy } from '@temporalio/common';
import type { createPipelineActivities } from '../../activities/pipeline/activities';
import type { createSqlInspectorActivities } from '../../activities/sql-inspector/activities';
import { countClusterCreated, countClusterDeleted, countPipelineRestart, countPipelineStarted, recordTimeToRunning } from '../metrics';
import { FleetJobState, FleetKind, FleetTenant } from '../search-attributes';
import type { JobWatchResult, PipelineRef } from './activity-types';
import {
  rescaleUpdate, statusQuery, stopSignal, stopUpdate, type CarriedPipelineState, type FinalPhase, type PipelineResult, type PipelineStatus,
  type RunPipelineInput, type StopRequest,
} from './api';
import { applicationFailureOf } from './failures';
import { restartAllowed, transition, type Phase } from './phases';
import { newAutoscalerState, type AutoscalerState } from './autoscaler';
import { startAutoscaler } from './autoscaling';
import { rescale, validateRescale } from './rescale';
import { InvalidSpecError, MAX_PARALLELISM, parsePipelineSpec, pipelineKind, type PipelineSpec } from './spec';
import { InvalidSqlError, pipelineScriptFrom } from './sql-policy';

type Activities = ReturnType<typeof createPipelineActivities> & ReturnType<typeof createSqlInspectorActivities>;

const NON_RETRYABLE = ['InvalidSpec', 'InvalidSql', 'InvalidJar', 'JarDigestMismatch', 'FlinkJobFailed', 'ClusterStartFailed', 'QuotaExceeded', 'Unschedulable', 'ImagePullFailed', 'CrashLooping', 'ContainerConfigError', 'PodRejected'];
const bounded: RetryPolicy = { maximumAttempts: 10, initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', nonRetryableErrorTypes: NON_RETRYABLE };

const { ensureTenant, deployPipelineCluster, awaitJobRunning, stopJob, latestCheckpoint, deletePipelineCluster } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  // Activities heartbeat every 5 s; a dead worker's attempt is retried elsewhere after this.
  heartbeatTimeout: '15 seconds',
  retry: bounded,
});

// The first inspection of a worker starts its JVM (seconds); later ones take milliseconds.
const { inspectPipelineSql } = proxyActivities<Activities>({ startToCloseTimeout: '3 minutes', heartbeatTimeout: '15 seconds', retry: { ...bounded, maximumAttempts: 3 } });

const DEFAULT_WATCH_BOUND_SECONDS = 3600;
/** Well below Temporal's 50k-event limit, in case the server's suggestion never comes. */
const MAX_HISTORY_EVENTS = 10_000;

/** The jobs of one pipeline get fresh ids per deployment; Flink wants 32 hex characters. */
const newJobId = (): string => uuid4().replace(/-/g, '');

interface Lifecycle {
  /** Once inspected, a SQL job's script is the one Flink's tokens rebuilt: that is what deploys. */
  spec: PipelineSpec;
  readonly ref: PipelineRef;
  phase: Phase;
  jobId?: string;
  restartTimes: number[];
  lastSavepoint?: string;
  startedAt: number;
  failure?: string;
  failureType?: string;
  stopRequest?: StopRequest;
  /** The parallelism a rescale in progress is taking the job to. */
  rescaling?: number;
  /** The widest parallelism the tenant's plan holds for this cluster, as its last deploy reported. */
  planMaxParallelism?: number;
  readonly autoscaler: AutoscalerState;
  result?: PipelineResult;
}

function setPhase(life: Lifecycle, to: Phase): void {
  life.phase = transition(life.phase, to);
  upsertSearchAttributes([{ key: FleetJobState, value: to }]);
  log.info('pipeline phase', { tenant: life.ref.tenant, pipeline: life.ref.name, phase: to });
}

function status(life: Lifecycle): PipelineStatus {
  return {
    tenant: life.ref.tenant, name: life.ref.name, kind: pipelineKind(life.spec), phase: life.phase, jobId: life.jobId,
    restarts: life.restartTimes.length, parallelism: life.spec.parallelism, targetParallelism: life.rescaling ?? life.spec.parallelism,
    maxParallelism: Math.min(MAX_PARALLELISM, life.planMaxParallelism ?? MAX_PARALLELISM),
    lastSavepoint: life.lastSavepoint, startedAt: new Date(life.startedAt).toISOString(), failure: life.failure, failureType: life.failureType,
    ...(life.spec.autoscaler ? { autoscaler: { lastDecision: life.autoscaler.lastDecision, rescales: life.autoscaler.rescales } } : {}),
  };
}

function validate(input: RunPipelineInput): PipelineSpec {
  try {
    return parsePipelineSpec(input.spec);
  } catch (error) {
    if (error instanceof InvalidSpecError) throw ApplicationFailure.nonRetryable(error.message, 'InvalidSpec', { problems: error.problems });
    throw error;
  }
}

/**
 * A production job in its own application cluster: deploy, watch until a stop or the job's end,
 * restart from the last checkpoint within the budget, and always delete the cluster on the way out.
 */
export async function runPipeline(input: RunPipelineInput): Promise<PipelineResult> {
  const spec = validate(input);
  const life: Lifecycle = {
    spec, ref: { tenant: spec.tenant, name: spec.name }, phase: input.carried ? 'Running' : 'Validating',
    jobId: input.carried?.jobId, restartTimes: [...(input.carried?.restartTimes ?? [])],
    lastSavepoint: input.carried?.lastSavepoint, startedAt: input.carried?.startedAt ?? Date.now(),
    planMaxParallelism: input.carried?.planMaxParallelism,
    autoscaler: input.carried?.autoscaler ?? newAutoscalerState(),
  };
  setHandler(statusQuery, () => status(life));
  setHandler(stopSignal, (request) => {
    life.stopRequest ??= request;
  });
  setHandler(stopUpdate, async (request) => {
    life.stopRequest ??= request;
    await condition(() => life.result !== undefined);
    return life.result as PipelineResult;
  }, { validator: (request) => validateStopRequest(request) });
  setHandler(rescaleUpdate, (request) => rescale(life, request), { validator: (request) => validateRescale(life, request) });
  upsertSearchAttributes([
    { key: FleetTenant, value: spec.tenant }, { key: FleetKind, value: pipelineKind(spec) }, { key: FleetJobState, value: life.phase },
  ]);
  if (!input.carried) countPipelineStarted(spec.tenant);

  if (life.phase === 'Validating' && spec.job.kind === 'sql') {
    const inspected = await inspectedScript(spec.tenant, spec.name, spec.job.script);
    if (inspected instanceof ApplicationFailure) return refuse(life, inspected);
    life.spec = { ...spec, job: { kind: 'sql', script: inspected } };
  }
  let savepointPath: string | undefined;
  let failed: unknown;
  let continuing = false;
  const autoscaler = startAutoscaler(life, life.spec.autoscaler, life.autoscaler);
  try {
    savepointPath = await live(life, input);
  } catch (error) {
    if (error instanceof ContinueAsNewSignal) continuing = true;
    else failed = error;
  }
  await autoscaler.stop();
  if (continuing) {
    await condition(() => life.stopRequest !== undefined || allHandlersFinished());
    if (!life.stopRequest) return continueWith(life, input);
    // A stop that came while this run waited to hand over (a rescale still in flight) is this run's
    // to serve: the next run would never hear of it, and a stop Update's caller waits on this run.
    try {
      savepointPath = await live(life, input);
    } catch (error) {
      failed = error;
    }
  }
  // The compensation: whatever happened above (a stop, the job's end, a failure, a cancel from the
  // UI), the cluster goes, in a scope that a cancellation cannot interrupt.
  await CancellationScope.nonCancellable(async () => {
    if (life.phase !== 'CleaningUp') setPhase(life, 'CleaningUp');
    await deletePipelineCluster(life.ref);
    // A pipeline that failed before its first deploy had no cluster: the delete found nothing.
    if (life.jobId !== undefined) countClusterDeleted(life.ref.tenant, 'application');
  });
  // A cancel from the UI is an operator's stop; anything else that went wrong is a failure.
  const cancelled = failed !== undefined && isCancellation(failed);
  if (failed && !cancelled) {
    const cause = applicationFailureOf(failed);
    life.failure ??= cause instanceof Error ? cause.message : String(cause);
    if (cause instanceof ApplicationFailure) life.failureType ??= cause.type ?? undefined;
  }
  const finalState: FinalPhase = failed && !cancelled ? 'Failed' : life.stopRequest || cancelled ? 'Stopped' : 'Finished';
  setPhase(life, finalState);
  life.result = {
    finalState, savepointPath, restarts: life.restartTimes.length,
    startedAt: new Date(life.startedAt).toISOString(), endedAt: new Date().toISOString(),
  };
  await condition(allHandlersFinished);
  if (failed) throw applicationFailureOf(failed);
  return life.result;
}

/**
 * Flink's own parser and planner say what the script does (the inspector activity); the pipeline
 * policy judges that, before anything exists. Returns the script to deploy (rebuilt from Flink's
 * tokens), or why the pipeline may not start: InvalidSql, or the inspection's own failure (an
 * inspector that could not start, say).
 */
async function inspectedScript(tenant: string, name: string, script: string): Promise<string | ApplicationFailure> {
  try {
    const { inspection, storageUri } = await inspectPipelineSql({ tenant, name, script });
    return pipelineScriptFrom(inspection, storageUri);
  } catch (error) {
    if (error instanceof InvalidSqlError) return ApplicationFailure.nonRetryable(error.message, 'InvalidSql');
    const cause = applicationFailureOf(error);
    if (cause instanceof ApplicationFailure) return cause;
    throw error;
  }
}

/** A pipeline refused while Validating ends Failed at once: nothing was created, so nothing is cleaned up. */
async function refuse(life: Lifecycle, failure: ApplicationFailure): Promise<never> {
  life.failure = failure.message;
  life.failureType = failure.type ?? undefined;
  setPhase(life, 'Failed');
  life.result = {
    finalState: 'Failed', restarts: 0, startedAt: new Date(life.startedAt).toISOString(), endedAt: new Date().toISOString(),
  };
  await condition(allHandlersFinished);
  throw failure;
}

function validateStopRequest(request: StopRequest): void {
  if (typeof request?.savepoint !== 'boolean' || typeof request.drain !== 'boolean') {
    throw new Error('stop takes { savepoint: boolean, drain: boolean }');
  }
}

class ContinueAsNewSignal extends Error {
  constructor() {
    super('continue as new');
  }
}

/** What the next run gets is read once the handlers are done: a rescale still in flight changes the spec. */
function continueWith(life: Lifecycle, input: RunPipelineInput): Promise<never> {
  return continueAsNew<(input: RunPipelineInput) => Promise<PipelineResult>>({ ...input, spec: life.spec, carried: carry(life) });
}

/** Runs the job until it ends or is stopped; returns the savepoint taken when stopping, if any. */
async function live(life: Lifecycle, input: RunPipelineInput): Promise<string | undefined> {
  if (life.phase === 'Validating') {
    setPhase(life, 'EnsuringTenant');
    await ensureTenant(life.ref.tenant);
    await deploy(life, life.spec.restoreFrom);
  }
  let quietWatches = 0;
  for (;;) {
    const outcome = await watchUntilStopOrChange(life, input.watchBoundSeconds ?? DEFAULT_WATCH_BOUND_SECONDS);
    if (outcome === 'stop') {
      // A savepoint taken while Flink moves the job between parallelisms would fail.
      await condition(() => life.rescaling === undefined);
      return stop(life);
    }
    if (outcome.state === 'RUNNING') {
      quietWatches += 1;
      if (shouldContinueAsNew(quietWatches, input)) throw new ContinueAsNewSignal();
      continue;
    }
    if (outcome.state === 'FINISHED' || outcome.state === 'CANCELED') return undefined;
    if (outcome.state === 'DISK_EXCEEDED') {
      // Restarting would restore the same state onto a disk of the same size: the tenant must choose a bigger one.
      life.failure = outcome.failure;
      throw ApplicationFailure.nonRetryable(`pipeline ${life.ref.tenant}/${life.ref.name} outgrew its local disk: ${outcome.failure ?? ''}`, 'DiskExceeded');
    }
    await restart(life, outcome);
  }
}

async function deploy(life: Lifecycle, restoreFrom: string | undefined): Promise<void> {
  setPhase(life, 'Deploying');
  life.jobId = newJobId();
  // A history from before deploys reported the plan's bound replays with no result: no bound then.
  const deployed = await deployPipelineCluster({ spec: life.spec, jobId: life.jobId, restoreFrom });
  life.planMaxParallelism = deployed?.maxParallelism;
  countClusterCreated(life.ref.tenant, 'application');
  setPhase(life, 'Starting');
  await awaitJobRunning({ ...life.ref, jobId: life.jobId });
  setPhase(life, 'Running');
  // A restart is timed from its own beginning, the time its restart was recorded.
  const lastRestart = life.restartTimes.at(-1);
  recordTimeToRunning(life.ref.tenant, lastRestart === undefined ? 'start' : 'restart', Date.now() - (lastRestart ?? life.startedAt));
}

async function watchUntilStopOrChange(life: Lifecycle, boundSeconds: number): Promise<JobWatchResult | 'stop'> {
  if (life.stopRequest) return 'stop';
  const { watchJob } = proxyActivities<Activities>({
    startToCloseTimeout: `${boundSeconds + 120} seconds`,
    // Every running pipeline holds a watch: its heartbeats are most of a steady fleet's requests to
    // Temporal (one per 2 minutes each, the worker's throttle), and a dead worker's watches move to
    // another worker within this. A stop does not wait for it (TRY_CANCEL): the watch only looks.
    heartbeatTimeout: '3 minutes',
    cancellationType: ActivityCancellationType.TRY_CANCEL,
    retry: { ...bounded, maximumAttempts: 20 },
  });
  const scope = new CancellationScope();
  const watch = scope.run(() => watchJob({ ...life.ref, jobId: life.jobId as string, boundSeconds }));
  const stopRequested = condition(() => life.stopRequest !== undefined);
  const first = await Promise.race([watch, stopRequested.then(() => 'stop' as const)]);
  if (first !== 'stop') return first;
  scope.cancel();
  await watch.catch((error: unknown) => {
    if (!isCancellation(error)) throw error;
  });
  return 'stop';
}

async function stop(life: Lifecycle): Promise<string | undefined> {
  const request = life.stopRequest as StopRequest;
  setPhase(life, request.savepoint ? 'Savepointing' : 'Stopping');
  const { savepointPath } = await stopJob({ ...life.ref, jobId: life.jobId as string, ...request });
  if (savepointPath) life.lastSavepoint = savepointPath;
  if (life.phase === 'Savepointing') setPhase(life, 'Stopping');
  return savepointPath;
}

async function restart(life: Lifecycle, outcome: JobWatchResult): Promise<void> {
  life.failure = outcome.failure;
  if (!restartAllowed(life.restartTimes, Date.now(), life.spec.restartBudget)) {
    const { maxRestarts, windowMinutes } = life.spec.restartBudget;
    throw ApplicationFailure.nonRetryable(
      `pipeline ${life.ref.tenant}/${life.ref.name} failed after ${maxRestarts} restarts in ${windowMinutes} minutes: ${outcome.failure ?? outcome.state}`,
      'FlinkJobFailed', { rootException: outcome.failure },
    );
  }
  setPhase(life, 'Restarting');
  life.restartTimes.push(Date.now());
  countPipelineRestart(life.ref.tenant);
  const checkpoint = await latestCheckpoint({ ...life.ref, jobId: life.jobId as string });
  await deletePipelineCluster(life.ref);
  countClusterDeleted(life.ref.tenant, 'application');
  await deploy(life, checkpoint ?? life.lastSavepoint ?? life.spec.restoreFrom);
}

function shouldContinueAsNew(quietWatches: number, input: RunPipelineInput): boolean {
  const info = workflowInfo();
  return info.continueAsNewSuggested || info.historyLength > MAX_HISTORY_EVENTS
    || (input.continueAsNewAfterWatches !== undefined && quietWatches >= input.continueAsNewAfterWatches);
}

function carry(life: Lifecycle): CarriedPipelineState {
  return {
    jobId: life.jobId as string, restartTimes: life.restartTimes, lastSavepoint: life.lastSavepoint, startedAt: life.startedAt, autoscaler: life.autoscaler,
    planMaxParallelism: life.planMaxParallelism,
  };
}

