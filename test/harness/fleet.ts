import { randomUUID } from 'node:crypto';
import type { Worker } from '@temporalio/worker';
import { LocalRuntime } from '../../activities/runtime/local/local-runtime';
import type { FlinkRuntime } from '../../activities/runtime/types';
import { FleetClient } from '../../client/fleet-client';
import { toolchain } from '../../scripts/toolchain';
import { createFleetWorker } from '../../worker/fleet-worker';
import { temporalTestBed } from './global';
import { newStateDir } from './state';

export interface FleetTestBed {
  readonly client: FleetClient;
  readonly runtime: FlinkRuntime;
  readonly taskQueue: string;
  readonly stateDir: string;
  /** Runs an in-process worker (the run-wide workflow bundle, this bed's runtime) while `body` runs. */
  withWorker<T>(body: () => Promise<T>): Promise<T>;
  /** Deletes whatever clusters are left in this bed's state folder. */
  cleanUp(): Promise<void>;
}

export function localTestRuntime(stateDir: string): LocalRuntime {
  return new LocalRuntime({ flinkHome: toolchain().flinkHome, stateDir });
}

/**
 * A fleet on the run's Temporal server with its own task queue and state folder, on the local
 * runtime unless the test brings another one built over that folder.
 */
export function fleetTestBed(label: string, runtimeFor: (stateDir: string) => FlinkRuntime = localTestRuntime): FleetTestBed {
  const { env, workflowBundle, codecKeys } = temporalTestBed();
  const taskQueue = `${label}-${randomUUID().slice(0, 8)}`;
  const stateDir = newStateDir(label);
  const runtime = runtimeFor(stateDir);
  const client = new FleetClient(env.client, taskQueue);
  return {
    client, runtime, taskQueue, stateDir,
    async withWorker<T>(body: () => Promise<T>): Promise<T> {
      const worker: Worker = await createFleetWorker({ connection: env.nativeConnection, namespace: env.namespace ?? 'default', taskQueue, runtime, workflowBundle, codecKeys });
      return worker.runUntil(body);
    },
    async cleanUp() {
      for (const cluster of await runtime.listClusters()) await runtime.deleteCluster(cluster);
    },
  };
}
