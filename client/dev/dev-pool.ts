import type { PoolConfigInput } from '../../workflows/pool/api';
import { hostMaxTarget } from '../../workflows/pool/sizing';
import { DEFAULT_POOL } from '../../workflows/preview/request';
import type { DevStack } from './stack-file';

/**
 * Pods ask for their cores up front, so on the dev stack's one real node (the machine's own cores,
 * two here) the pool must leave room for a pipeline: its JobManager, its gateway (sized like the
 * JobManager) and each TaskManager take 0.3 of a core, and it never runs more TaskManagers than its
 * target (the one a preview used is replaced after it is killed). At target 1 that is 0.9 cores,
 * which leaves a pipeline started with `--cpu 0.5` (1 core for its JobManager and TaskManager) room.
 * The local runtime ignores cores.
 */
const DEV_KUBERNETES_PROCESS = { cpu: 0.3, memoryMb: 1024 } as const;

/**
 * Locally the pool sizes itself: `target` idle TaskManagers at least, more while previews come in
 * bursts, up to one per core of the machine (`cores`): more would start too slowly to serve anyone.
 */
export function devPoolConfig(runtime: DevStack['runtime'], target: number, cores: number): PoolConfigInput {
  if (runtime === 'local') {
    return { sessionCluster: DEFAULT_POOL, target, maxTarget: Math.max(target, hostMaxTarget(cores, 1)), autoSize: { minTarget: target } };
  }
  return {
    sessionCluster: DEFAULT_POOL, target, maxTarget: target, maxTaskManagers: Math.max(target, 1),
    jobManager: DEV_KUBERNETES_PROCESS, taskManager: DEV_KUBERNETES_PROCESS,
  };
}
