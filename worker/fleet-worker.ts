import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { FlinkRuntime } from '../activities/runtime/types';
import type { SqlInspector } from '../activities/sql-inspector/inspector';
import { createActivities } from './activities';
import { sharedSqlInspector } from './sql-inspector';

export interface FleetWorkerOptions {
  readonly connection: NativeConnection;
  readonly namespace: string;
  readonly taskQueue: string;
  readonly runtime: FlinkRuntime;
  /** A pre-built bundle (tests build one per run); otherwise the workflows are bundled at start. */
  readonly workflowBundle?: WorkerOptions['workflowBundle'];
  /** Added to the SDK's own: what an operator adds for tracing, or a fault injector in tests. */
  readonly interceptors?: WorkerOptions['interceptors'];
  /** Whoever creates one closes it; without one, the worker uses its process's shared inspector. */
  readonly sqlInspector?: SqlInspector;
}

export function createFleetWorker(options: FleetWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: createActivities(options.runtime, options.sqlInspector ?? sharedSqlInspector()),
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
    ...(options.interceptors ? { interceptors: options.interceptors } : {}),
    // Graceful shutdown: activities get this long to finish (or notice cancellation) on SIGTERM.
    shutdownGraceTime: '20 seconds',
  });
}
