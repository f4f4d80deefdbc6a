import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { OrphanCluster } from '../../workflows/janitor/types';
import { poolWorkflowId } from '../../workflows/pool/api';
import { pipelineWorkflowId } from '../../workflows/pipeline/spec';
import type { ClusterSummary, FlinkRuntime } from '../runtime/types';

/** The workflow that owns a cluster and deletes it on every way out, when it gets the chance. */
export function ownerWorkflowId(cluster: Pick<ClusterSummary, 'kind' | 'tenant' | 'name'>): string {
  return cluster.kind === 'application' ? pipelineWorkflowId(cluster.tenant, cluster.name) : poolWorkflowId(cluster.name);
}

/** Every workflow type that owns clusters; a cluster whose owner is none of these running is an orphan. */
const RUNNING_OWNERS_QUERY = "ExecutionStatus = 'Running' AND WorkflowType IN ('runPipeline', 'maintainIdlePool')";

/**
 * One visibility listing per pass, not one describe per cluster: at a thousand pipelines the pass
 * costs Temporal a page or two. Visibility lags a little, which errs safely both ways: an owner
 * closed a moment ago still looks alive (its cluster waits for the next pass), and an owner
 * missing from the listing is asked again, authoritatively, before its cluster is deleted.
 */
async function runningOwners(client: Client): Promise<Set<string>> {
  const running = new Set<string>();
  for await (const execution of client.workflow.list({ query: RUNNING_OWNERS_QUERY })) running.add(execution.workflowId);
  return running;
}

/**
 * Clusters whose owning workflow is no longer running: it was terminated (from the UI, say), so its
 * compensation never ran.
 */
export function createJanitorActivities(runtime: FlinkRuntime) {
  async function ownerRunning(workflowId: string): Promise<boolean> {
    try {
      const { status } = await Context.current().client.workflow.getHandle(workflowId).describe();
      return status.name === 'RUNNING';
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return false;
      throw error;
    }
  }

  return {
    async findOrphanClusters(input: { graceSeconds: number }): Promise<OrphanCluster[]> {
      const now = Date.now();
      // A young cluster may belong to a workflow that is still starting up; leave it alone.
      const settled = (await runtime.listClusters()).filter((cluster) => now - Date.parse(cluster.createdAt) >= input.graceSeconds * 1_000);
      if (settled.length === 0) return [];
      const running = await runningOwners(Context.current().client);
      return settled.map((cluster) => ({ tenant: cluster.tenant, name: cluster.name, cluster: cluster.cluster, owner: ownerWorkflowId(cluster) }))
        .filter((orphan) => !running.has(orphan.owner));
    },

    /** Whether it deleted the cluster: not when its owner is running, asked now rather than from the listing. */
    async deleteOrphanCluster(orphan: OrphanCluster): Promise<boolean> {
      if (await ownerRunning(orphan.owner)) return false;
      await runtime.deleteCluster(orphan);
      return true;
    },
  };
}
