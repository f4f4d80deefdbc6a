import { setTimeout as sleep } from 'node:timers/promises';
import type { CoreV1Event, KubernetesObject, V1Deployment, V1Pod } from '@kubernetes/client-node';
import type { KubernetesObjects } from './api';
import { startFailed, StartFailure } from './errors';
import { clusterSelector } from './manifests/labels';
import { diagnose, type ClusterState } from './readiness';

export interface WaitOptions {
  readonly timeoutMs: number;
  readonly intervalMs: number;
  readonly unschedulableGraceMs: number;
}

/** What Kubernetes says about one cluster now: its Deployments, pods, and the Events about them. */
export async function readClusterState(api: KubernetesObjects, namespace: string, cluster: string): Promise<ClusterState> {
  const selector = clusterSelector(cluster);
  const [deployments, replicaSets, pods] = await Promise.all([
    api.list('apps/v1', 'Deployment', namespace, selector), api.list('apps/v1', 'ReplicaSet', namespace, selector), api.list('v1', 'Pod', namespace, selector),
  ]);
  const uids = new Set([...replicaSets, ...pods].map((o: KubernetesObject) => o.metadata?.uid));
  const events = (await api.list('v1', 'Event', namespace, '')) as CoreV1Event[];
  return { deployments: deployments as V1Deployment[], pods: pods as V1Pod[], events: events.filter((e) => uids.has(e.involvedObject.uid)) };
}

/**
 * Polls until every Deployment of the cluster is available, failing at once on what waiting cannot
 * fix (quota, image, crash loop) with its typed reason, and after `timeoutMs` with what it waited for.
 */
export async function waitUntilReady(api: KubernetesObjects, namespace: string, cluster: string, options: WaitOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const verdict = diagnose(await readClusterState(api, namespace, cluster), Date.now(), options.unschedulableGraceMs);
    if (verdict.ready) return;
    if ('failure' in verdict) throw startFailed(cluster, verdict.failure.type, verdict.failure.reason);
    if (Date.now() >= deadline) throw startFailed(cluster, StartFailure.StartTimeout, `not ready after ${options.timeoutMs} ms: ${verdict.waitingFor}`);
    await sleep(options.intervalMs);
  }
}
