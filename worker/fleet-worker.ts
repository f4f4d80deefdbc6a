import { type NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import { fleetDataConverter } from '../client/codec/data-converter';
import type { CodecKeyRing } from '../client/codec/keys';
import type { FleetTracing } from '../client/tracing';
import type { FlinkRuntime } from '../activities/runtime/types';
import type { SqlInspector } from '../activities/sql-inspector/inspector';
import { createActivities } from './activities';
import { sharedSqlInspector } from './sql-inspector';
import { UNTRACED_WORKFLOW_SINKS, workerTracingOptions } from './tracing';
import { PRELOADED_WORKFLOW_MODULES, WORKFLOWS_PATH } from './workflow-bundle';

/** The knobs that bound what one worker takes on at once (README, "Sizing a worker"); the SDK's defaults when absent. */
export type WorkerSizing = Pick<WorkerOptions, 'maxConcurrentActivityTaskExecutions' | 'maxConcurrentWorkflowTaskExecutions' | 'maxCachedWorkflows' | 'stickyQueueScheduleToStartTimeout'>;

export interface FleetWorkerOptions {
  readonly connection: NativeConnection;
  readonly namespace: string;
  readonly taskQueue: string;
  readonly runtime: FlinkRuntime;
  /** Every payload the worker writes is encrypted with the current key; any known key decrypts. */
  readonly codecKeys: CodecKeyRing;
  /**
   * A pre-built bundle (the worker image's, from prebuiltWorkflowBundleOptions; tests build one per run),
   * made with the fleet's failure converter so that workflow failures are encrypted too; otherwise the
   * workflows are bundled at start.
   */
  readonly workflowBundle?: WorkerOptions['workflowBundle'];
  /** Added to the SDK's own: what an operator adds for tracing, or a fault injector in tests. */
  readonly interceptors?: WorkerOptions['interceptors'];
  /** Whoever creates one closes it; without one, the worker uses its process's shared inspector. */
  readonly sqlInspector?: SqlInspector;
  /** When enabled: activity and workflow spans; a pre-built bundle must include TRACING_WORKFLOW_INTERCEPTORS. */
  readonly tracing?: FleetTracing;
  readonly sizing?: WorkerSizing;
  /**
   * Off only for the bench's baseline (bench/first-preview.ts): no SQL inspector started ahead of the
   * first statement, no warm-up of a new session cluster's gateway.
   */
  readonly warmUp?: boolean;
}

/** The caller's interceptors plus tracing's (the workflow modules only count when the worker bundles), and tracing's sink. */
function tracedOptions(options: FleetWorkerOptions): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  const tracing = options.tracing && workerTracingOptions(options.tracing);
  if (!tracing) {
    return {
      ...(options.interceptors ? { interceptors: options.interceptors } : {}),
      // A pre-built bundle may carry tracing's workflow interceptors (the image's does, see workflow-bundle.ts).
      ...(options.workflowBundle ? { sinks: UNTRACED_WORKFLOW_SINKS } : {}),
    };
  }
  const own = options.interceptors ?? {};
  return {
    interceptors: {
      ...own,
      activity: [...tracing.interceptors.activity, ...(own.activity ?? [])],
      ...(options.workflowBundle ? {} : { workflowModules: [...tracing.interceptors.workflowModules, ...(own.workflowModules ?? [])] }),
    },
    sinks: tracing.sinks,
  };
}

export function createFleetWorker(options: FleetWorkerOptions): Promise<Worker> {
  const inspector = options.sqlInspector ?? sharedSqlInspector();
  const warmUp = options.warmUp ?? true;
  // Started on first use, the inspector's JVM cost a fresh worker's first preview 1.6 s before its claim.
  if (warmUp) {
    const { logger } = Runtime.instance();
    inspector.warmUp().then(
      () => logger.info('the SQL inspector is ready'),
      (error: unknown) => logger.warn('the SQL inspector did not start ahead; the first statement starts it', { error: String(error) }),
    );
  }
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    dataConverter: fleetDataConverter(options.codecKeys),
    activities: createActivities(options.runtime, inspector, { warmUpSessionClusters: warmUp }),
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle }
      : { workflowsPath: WORKFLOWS_PATH, bundlerOptions: { preloadModules: PRELOADED_WORKFLOW_MODULES } }),
    ...tracedOptions(options),
    ...options.sizing,
    // The SDK sends an activity's heartbeats at most every 0.8 × its heartbeat timeout, capped by this
    // (60 s by default): the pipelines' watches (3-minute timeout) then heartbeat every 2 minutes, not 1.
    maxHeartbeatThrottleInterval: '2 minutes',
    // Graceful shutdown: activities get this long to finish (or notice cancellation) on SIGTERM.
    shutdownGraceTime: '20 seconds',
  });
}
