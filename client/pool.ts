import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { FLEET_TENANT, poolWorkflowId, resizeUpdate, statsQuery, type PoolConfigInput, type PoolStats } from '../workflows/pool/api';
import { InvalidPoolConfigError, parsePoolConfig } from '../workflows/pool/config';
import { FleetKind, FleetTenant } from '../workflows/search-attributes';
import { FleetError } from './errors';
import { WORKFLOW_TASK_TIMEOUT } from './workflow-task-timeout';

/** Starts `pool/<sessionCluster>`, or finds the one already running: there is one pool per session cluster. */
export async function startPool(temporal: Client, taskQueue: string, config: PoolConfigInput): Promise<string> {
  try {
    parsePoolConfig(config);
  } catch (error) {
    if (error instanceof InvalidPoolConfigError) throw new FleetError('InvalidSpec', error.message);
    throw error;
  }
  const workflowId = poolWorkflowId(config.sessionCluster);
  await temporal.workflow.start('maintainIdlePool', {
    taskQueue, workflowId, args: [{ config }], workflowIdConflictPolicy: 'USE_EXISTING', workflowTaskTimeout: WORKFLOW_TASK_TIMEOUT,
    typedSearchAttributes: [{ key: FleetTenant, value: FLEET_TENANT }, { key: FleetKind, value: 'pool' }],
  });
  return workflowId;
}

async function withPool<T>(sessionCluster: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) throw new FleetError('NotFound', `no pool runs for session cluster ${sessionCluster}`);
    throw error;
  }
}

export function poolStats(temporal: Client, sessionCluster: string): Promise<PoolStats> {
  return withPool(sessionCluster, () => temporal.workflow.getHandle(poolWorkflowId(sessionCluster)).query(statsQuery));
}

/** Through the `resize` Update: a size beyond the pool's maxTarget is refused and changes nothing. */
export function resizePool(temporal: Client, sessionCluster: string, target: number): Promise<PoolStats> {
  return withPool(sessionCluster, () => temporal.workflow.getHandle(poolWorkflowId(sessionCluster)).executeUpdate(resizeUpdate, { args: [target] }));
}

/** Cancels the pool, which deletes its session cluster, and waits until it has. */
export async function stopPool(temporal: Client, sessionCluster: string): Promise<void> {
  const handle = temporal.workflow.getHandle(poolWorkflowId(sessionCluster));
  await withPool(sessionCluster, async () => {
    await handle.cancel();
    await handle.result().catch(() => undefined);
  });
}
