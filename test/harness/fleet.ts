import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { LocalRuntime } from '../../activities/runtime/local/local-runtime';
import type { FlinkRuntime } from '../../activities/runtime/types';
import { FleetClient } from '../../client/fleet-client';
import { toolchain } from '../../scripts/toolchain';
import { createFleetWorker } from '../../worker/fleet-worker';
import { temporalTestBed } from './global';
import { trackWorker } from './in-process-workers';
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
  return new LocalRuntime({ flinkHome: toolchain().flinkHome, stateDir, classArchives: toolchain().flinkClassArchives, sizingCache: toolchain().flinkSizing });
}

/** The Temporal a fleet test bed runs on: the run's dev server unless a test brings another. */
export interface FleetTemporal {
  /** Encrypts with the run's codec keys. */
  readonly client: Client;
  readonly nativeConnection: NativeConnection;
  readonly namespace: string;
}

function devServer(): FleetTemporal {
  const { env } = temporalTestBed();
  return { client: env.client, nativeConnection: env.nativeConnection, namespace: env.namespace ?? 'default' };
}

/**
 * A fleet on the run's Temporal server (or `temporal`) with its own task queue and state folder, on
 * the local runtime unless the test brings another one built over that folder.
 */
export function fleetTestBed(label: string, runtimeFor: (stateDir: string) => FlinkRuntime = localTestRuntime, temporal: FleetTemporal = devServer()): FleetTestBed {
  const { workflowBundle, codecKeys } = temporalTestBed();
  const taskQueue = `${label}-${randomUUID().slice(0, 8)}`;
  const stateDir = newStateDir(label);
  const runtime = runtimeFor(stateDir);
  const client = new FleetClient(temporal.client, taskQueue);
  return {
    client, runtime, taskQueue, stateDir,
    async withWorker<T>(body: () => Promise<T>): Promise<T> {
      const worker: Worker = await createFleetWorker({ connection: temporal.nativeConnection, namespace: temporal.namespace, taskQueue, runtime, workflowBundle, codecKeys });
      const done = worker.runUntil(body);
      trackWorker(worker, taskQueue, 'test', done);
      return done;
    },
    async cleanUp() {
      for (const cluster of await runtime.listClusters()) await runtime.deleteCluster(cluster);
    },
  };
}
