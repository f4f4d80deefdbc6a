import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { OrphanCluster } from '../../workflows/janitor/types';
import { pipelineWorkflowId } from '../../workflows/pipeline/spec';
import type { ClusterSummary, FlinkRuntime } from '../runtime/types';

/** The workflow that owns a cluster and deletes it on every way out, when it gets the chance. */
export function ownerWorkflowId(cluster: Pick<ClusterSummary, 'kind' | 'tenant' | 'name'>): string {
  return cluster.kind === 'application' ? pipelineWorkflowId(cluster.tenant, cluster.name) : `pool/${cluster.name}`;
}

/**
 * Clusters whose owning workflow is no longer running: it was terminated (from the UI, say), so its
 * compensation never ran. Found by asking Temporal about each cluster the runtime has.
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
      const orphans: OrphanCluster[] = [];
      for (const cluster of await runtime.listClusters()) {
        // A young cluster may belong to a workflow that is still starting up; leave it alone.
        if (now - Date.parse(cluster.createdAt) < input.graceSeconds * 1_000) continue;
        const owner = ownerWorkflowId(cluster);
        if (!(await ownerRunning(owner))) orphans.push({ tenant: cluster.tenant, name: cluster.name, cluster: cluster.cluster, owner });
      }
      return orphans;
    },

    /** Whether it deleted the cluster: not when its owner was restarted since the scan, which then owns it again. */
    async deleteOrphanCluster(orphan: OrphanCluster): Promise<boolean> {
      if (await ownerRunning(orphan.owner)) return false;
      await runtime.deleteCluster(orphan);
      return true;
    },
  };
}
