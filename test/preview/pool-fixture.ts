import { randomUUID } from 'node:crypto';
import type { Worker } from '@temporalio/worker';
import { FlinkRestClient } from '../../activities/flink/rest-client';
import { clusterLayout } from '../../activities/runtime/local/layout';
import { waitUntil } from '../../activities/runtime/local/wait';
import { clusterName } from '../../activities/names';
import { createFleetWorker } from '../../worker/fleet-worker';
import { sessionClusterRef, type PoolConfigInput } from '../../workflows/pool/api';
import { fleetTestBed, type FleetTestBed } from '../harness/fleet';
import { temporalTestBed } from '../harness/global';
import { trackWorker } from '../harness/in-process-workers';
import { scopeDir } from '../harness/processes';

/** A small datagen table: one row every 20 ms, numbered from 1. */
export const NUMBERS = "CREATE TEMPORARY TABLE numbers (n BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '50', 'fields.n.kind' = 'sequence', 'fields.n.start' = '1', 'fields.n.end' = '1000000')";

export interface PoolFixture {
  readonly bed: FleetTestBed;
  readonly pool: string;
  rest(): Promise<FlinkRestClient>;
  /** Until the pool has `target` idle TaskManagers and nothing starting, or `hopeless` says why not. */
  settled(target: number, timeoutMs?: number, hopeless?: () => string | undefined): Promise<void>;
}

export async function restOf(bed: FleetTestBed, pool: string): Promise<FlinkRestClient> {
  const observed = await bed.runtime.observe(sessionClusterRef(pool));
  if (!observed.endpoints) throw new Error(`session cluster of ${pool} is not running`);
  return new FlinkRestClient(observed.endpoints.restUrl);
}

export function poolFixture(bed: FleetTestBed, pool: string): PoolFixture {
  return {
    bed, pool,
    rest: () => restOf(bed, pool),
    async settled(target, timeoutMs = 90_000, hopeless) {
      await waitUntil(`pool ${pool} to have ${target} idle TaskManagers`, async () => {
        const stats = await bed.client.poolStats(pool);
        return stats.idle === target && stats.starting === 0 && stats.busy === 0 ? true : undefined;
      }, { timeoutMs, intervalMs: 250, ...(hopeless ? { hopeless } : {}) });
    },
  };
}

/**
 * A pool (and a worker) shared by the tests of one file: its session cluster takes ten seconds to
 * start. Its folder lives as long as the file, so the per-test leak check leaves its replaced
 * TaskManagers alone; `stop` deletes it all, and the check at the end of the file sees anything left.
 */
export async function startSharedPool(label: string, config: Omit<PoolConfigInput, 'sessionCluster'>): Promise<PoolFixture & { stop(): Promise<void> }> {
  const bed = fleetTestBed(label);
  const pool = `${label}-${randomUUID().slice(0, 6)}`;
  const { env, workflowBundle, codecKeys } = temporalTestBed();
  const worker: Worker = await createFleetWorker({ connection: env.nativeConnection, namespace: env.namespace ?? 'default', taskQueue: bed.taskQueue, runtime: bed.runtime, workflowBundle, codecKeys });
  const running = worker.run();
  trackWorker(worker, bed.taskQueue, 'file', running);
  scopeDir(clusterLayout(bed.stateDir, clusterName(sessionClusterRef(pool).tenant, pool)).dir, 'file');
  const fixture = poolFixture(bed, pool);
  const stop = async (): Promise<void> => {
    await bed.client.stopPool(pool).catch(() => undefined);
    // The harness may have stopped it already, after the hook that started it timed out.
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
    await bed.cleanUp();
  };
  try {
    await bed.client.startPool({ sessionCluster: pool, ...config });
    // A session cluster and its first TaskManagers start in seconds alone, minutes on a loaded machine.
    await fixture.settled(config.target ?? 2, 300_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { ...fixture, stop };
}
