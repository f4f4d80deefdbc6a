import { log, proxyActivities } from '@temporalio/workflow';
import type { createJanitorActivities } from '../../activities/janitor/activities';
import { countClusterDeleted, countLeakedCluster } from '../metrics';
import { FLEET_TENANT } from '../pool/api';
import type { CollectOrphansInput, OrphanCluster } from './types';

const { findOrphanClusters, deleteOrphanCluster } = proxyActivities<ReturnType<typeof createJanitorActivities>>({
  startToCloseTimeout: '5 minutes',
  retry: { maximumAttempts: 5, initialInterval: '2 seconds', backoffCoefficient: 2 },
});

/**
 * Run by a Temporal Schedule: deletes clusters whose owning workflow is gone without cleaning up.
 * This is what makes "nothing leaks" hold even when compensation could not run.
 */
export async function collectOrphanClusters(input: CollectOrphansInput): Promise<{ deleted: OrphanCluster[] }> {
  const deleted: OrphanCluster[] = [];
  for (const orphan of await findOrphanClusters(input)) {
    if (!(await deleteOrphanCluster(orphan))) {
      log.info('spared a cluster whose owner came back', { tenant: orphan.tenant, cluster: orphan.cluster, owner: orphan.owner });
      continue;
    }
    deleted.push(orphan);
    countLeakedCluster(orphan.tenant);
    // Counted as a deletion too, so that created minus deleted stays the number of clusters alive.
    countClusterDeleted(orphan.tenant, orphan.tenant === FLEET_TENANT ? 'session' : 'application');
    log.info('deleted orphan cluster', { tenant: orphan.tenant, cluster: orphan.cluster, owner: orphan.owner });
  }
  return { deleted };
}
