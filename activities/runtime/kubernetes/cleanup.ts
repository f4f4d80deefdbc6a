import { setTimeout as sleep } from 'node:timers/promises';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { KubernetesObjects } from './api';
import { flinkHaConfigMapSelector } from './manifests/ha';
import { clusterSelector } from './manifests/labels';
import { describeObject } from './manifests/objects';

/**
 * Every kind a cluster is made of. Cleanup selects by label rather than by the names a complete
 * create would have made, so it finds what a create that failed half-way left behind.
 */
export const CLUSTER_KINDS: ReadonlyArray<readonly [apiVersion: string, kind: string]> = [
  ['v1', 'ConfigMap'], ['apps/v1', 'Deployment'], ['apps/v1', 'ReplicaSet'], ['v1', 'Pod'], ['v1', 'Service'], ['v1', 'ServiceAccount'],
  ['rbac.authorization.k8s.io/v1', 'Role'], ['rbac.authorization.k8s.io/v1', 'RoleBinding'], ['networking.k8s.io/v1', 'NetworkPolicy'],
];

async function clusterObjects(api: KubernetesObjects, namespace: string, cluster: string): Promise<KubernetesObject[]> {
  const ours = await Promise.all(CLUSTER_KINDS.map(([apiVersion, kind]) => api.list(apiVersion, kind, namespace, clusterSelector(cluster))));
  // Flink's HA ConfigMaps are created by the JobManager, not by us, and have no owner to collect them.
  const flinks = await api.list('v1', 'ConfigMap', namespace, flinkHaConfigMapSelector(cluster));
  return [...ours.flat(), ...flinks];
}

/**
 * Looks again soon after the first delete (most objects go at once) and less often while pods
 * terminate: every look lists ten kinds, and a hundred stops at 4 looks a second each were most of
 * what a small API server did.
 */
const FIRST_LOOK_MS = 250;
const LATEST_LOOK_MS = 2_000;

/**
 * What the worker's watches show of a cluster (its root, Deployments and pods): true while any is
 * left, false once none is, undefined while the watches cannot tell.
 */
export type WatchedLeft = () => Promise<boolean | undefined>;

/**
 * Deletes everything of the cluster and waits until it is gone; deleting what is gone succeeds.
 * Given the watches, it waits on them while pods terminate and the garbage collector follows their
 * owners, and looks again (ten lists) only once they show nothing left: a thousand stops, each
 * looking every 2 s, were 5,000 requests a second, and the API server's garbage collector, starved,
 * left roots undeleted past the timeout.
 */
export async function deleteClusterObjects(api: KubernetesObjects, namespace: string, cluster: string, timeoutMs: number, watchedLeft?: WatchedLeft): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let pause = FIRST_LOOK_MS; ; pause = Math.min(LATEST_LOOK_MS, pause * 2)) {
    const left = await clusterObjects(api, namespace, cluster);
    if (left.length === 0) return;
    if (Date.now() >= deadline) throw new Error(`cluster ${cluster} not gone after ${timeoutMs} ms: ${left.map(describeObject).join(', ')}`);
    // Deleting again what is already terminating is harmless and covers objects created meanwhile.
    await Promise.all(left.filter((o) => !o.metadata?.deletionTimestamp).map((o) => api.delete(o)));
    await sleep(pause);
    while (Date.now() < deadline && (await watchedLeft?.()) === true) await sleep(pause);
  }
}
