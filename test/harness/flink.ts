import { FlinkRestClient } from '../../activities/flink/rest-client';
import { LocalRuntime } from '../../activities/runtime/local/local-runtime';
import { clusterLayout } from '../../activities/runtime/local/layout';
import { listPids } from '../../activities/runtime/local/processes';
import { waitUntil } from '../../activities/runtime/local/wait';
import type { ClusterRef } from '../../activities/runtime/types';
import { clusterName } from '../../activities/names';
import { toolchain } from '../../scripts/toolchain';
import { scopeDir, type LeakScope } from './processes';
import { newStateDir } from './state';

export interface FlinkTestClusterOptions {
  readonly taskManagers?: number;
  /**
   * How long the cluster outlives the test that starts it, for the leak check. Marked before any of
   * its processes starts: a start cut short by a timeout must not leave its JVMs judged as that test's leak.
   */
  readonly scope?: Exclude<LeakScope, 'test'>;
}

export interface FlinkTestCluster {
  readonly ref: ClusterRef;
  readonly runtime: LocalRuntime;
  /** The cluster's folder: conf/, log/, pids/. */
  readonly dir: string;
  readonly restUrl: string;
  readonly gatewayUrl: string;
  /** Resource ids `taskmanager-1` … `taskmanager-N`, as the JobManager reports them. */
  readonly taskManagerIds: readonly string[];
  pids(): number[];
  stop(): Promise<void>;
}

export const TEST_RESOURCES = { cpu: 1, memoryMb: 1024 } as const;

/**
 * A real Flink session cluster (JobManager, SQL Gateway, N single-slot TaskManagers) started by the
 * local runtime in a state folder of its own under the run's root, where the leak check watches.
 */
export async function startFlinkCluster(request: FlinkTestClusterOptions = {}): Promise<FlinkTestCluster> {
  const runtime = new LocalRuntime({ flinkHome: toolchain().flinkHome, stateDir: newStateDir('flink'), classArchives: toolchain().flinkClassArchives, sizingCache: toolchain().flinkSizing });
  const ref: ClusterRef = { tenant: 'test', name: 'session' };
  const stop = (): Promise<void> => runtime.deleteCluster(ref);
  const dir = clusterLayout(runtime.stateDir, clusterName(ref.tenant, ref.name)).dir;
  if (request.scope) scopeDir(dir, request.scope);
  try {
    const { restUrl, gatewayUrl } = await runtime.deploySessionCluster({ ...ref, jobManager: TEST_RESOURCES, taskManager: TEST_RESOURCES });
    if (!gatewayUrl) throw new Error('a session cluster without a SQL Gateway');
    const taskManagerIds = Array.from({ length: request.taskManagers ?? 1 }, (_, i) => `taskmanager-${i + 1}`);
    for (const id of taskManagerIds) await runtime.addTaskManager(ref, id);
    // Settled means every id listed on two reads a second apart: on a loaded machine a TaskManager
    // has been seen to register and drop out again (twice in full-suite runs, never alone).
    const flink = new FlinkRestClient(restUrl);
    let registeredBefore = false;
    await waitUntil(`${taskManagerIds.length} TaskManagers registered`, async () => {
      const listed = (await flink.taskManagers()).map((tm) => tm.id);
      const registered = taskManagerIds.every((id) => listed.includes(id));
      const settled = registered && registeredBefore;
      registeredBefore = registered;
      return settled ? true : undefined;
    }, { timeoutMs: 90_000, intervalMs: 1_000 });
    return { ref, runtime, dir, restUrl, gatewayUrl, taskManagerIds, pids: () => [...listPids(dir).values()], stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
