import { CoreV1Api, KubeConfig, type V1ConfigMap, type V1Pod } from '@kubernetes/client-node';
import { CLUSTER, CLUSTER_KIND, MANAGED_BY_SELECTOR } from '../../activities/runtime/kubernetes/manifests/labels';
import type { ClusterStatus } from './stack-file';

/**
 * What `dev status` and `dev logs cluster` show of a Kubernetes dev stack: the fleet's clusters as the
 * API server has them (its pods, by their labels), and their containers' logs.
 */

function coreApi(kubeconfigFile: string): CoreV1Api {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfigFile);
  return kubeConfig.makeApiClient(CoreV1Api);
}

const podUp = (pod: V1Pod): boolean =>
  pod.status?.phase === 'Running' && (pod.status.containerStatuses ?? []).length > 0 && (pod.status.containerStatuses ?? []).every((c) => c.ready);

/**
 * Pure: the fleet's pods by cluster, named by their clusters' root ConfigMaps (which carry the kind),
 * so a cluster whose pods are all gone is still listed, with no processes.
 */
export function clustersOf(configMaps: readonly V1ConfigMap[], pods: readonly V1Pod[]): ClusterStatus[] {
  return configMaps.flatMap((configMap): ClusterStatus[] => {
    const cluster = configMap.metadata?.labels?.[CLUSTER];
    const kind = configMap.metadata?.labels?.[CLUSTER_KIND];
    if (cluster === undefined || (kind !== 'application' && kind !== 'session')) return [];
    const processes = pods.filter((pod) => pod.metadata?.labels?.[CLUSTER] === cluster && pod.metadata.namespace === configMap.metadata?.namespace)
      .map((pod) => ({ name: pod.metadata?.name ?? '', running: podUp(pod) }))
      .sort((a, b) => a.name.localeCompare(b.name));
    return [{ cluster, kind, processes }];
  }).sort((a, b) => a.cluster.localeCompare(b.cluster));
}

export async function kubernetesClusters(kubeconfigFile: string): Promise<ClusterStatus[]> {
  const core = coreApi(kubeconfigFile);
  const roots = await core.listConfigMapForAllNamespaces({ labelSelector: `${MANAGED_BY_SELECTOR},${CLUSTER_KIND}` });
  const pods = await core.listPodForAllNamespaces({ labelSelector: `${MANAGED_BY_SELECTOR},${CLUSTER}` });
  return clustersOf(roots.items, pods.items);
}

/** The end of each container's log, for each pod of `cluster`: `lines` from the end, 0 for all. */
export async function kubernetesClusterLogs(kubeconfigFile: string, cluster: string, lines: number): Promise<{ source: string; lines: string[] }[]> {
  const core = coreApi(kubeconfigFile);
  const pods = (await core.listPodForAllNamespaces({ labelSelector: `${MANAGED_BY_SELECTOR},${CLUSTER}=${cluster}` })).items;
  if (pods.length === 0) {
    const known = (await kubernetesClusters(kubeconfigFile)).map((c) => c.cluster);
    throw new Error(`no pod of cluster ${cluster}${known.length > 0 ? `; the clusters are: ${known.join(', ')}` : ''}`);
  }
  const logs: { source: string; lines: string[] }[] = [];
  for (const pod of pods.sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''))) {
    const { name = '', namespace = '' } = pod.metadata ?? {};
    for (const container of pod.spec?.containers ?? []) {
      const text = await core.readNamespacedPodLog({ name, namespace, container: container.name, ...(lines > 0 ? { tailLines: lines } : {}) })
        .catch((error: unknown) => `(no log: ${error instanceof Error ? error.message.split('\n')[0] : String(error)})`);
      const split = text.split('\n');
      if (split.at(-1) === '') split.pop();
      logs.push({ source: `pod ${namespace}/${name}, container ${container.name}`, lines: split });
    }
  }
  return logs;
}
