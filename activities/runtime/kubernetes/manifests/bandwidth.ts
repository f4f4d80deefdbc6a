import type { KubernetesObject, V1Deployment, V1ObjectMeta } from '@kubernetes/client-node';

/** Megabits per second, each way, that every pod of a tenant may use: the plan's share of a node's network. */
export interface PodBandwidth {
  /** Into the pod: what its sources and peers can send it. */
  readonly ingressMbit: number;
  /** Out of the pod: what it can send to its sinks, peers and object storage. */
  readonly egressMbit: number;
}

export const INGRESS_BANDWIDTH = 'kubernetes.io/ingress-bandwidth';
export const EGRESS_BANDWIDTH = 'kubernetes.io/egress-bandwidth';

/**
 * The standard annotations the CNI `bandwidth` plugin shapes a pod's traffic by (containerd hands
 * them to it as the `bandwidth` capability). Quantities in bits per second: `10M` is 10 Mbit/s.
 */
export function bandwidthAnnotations(bandwidth: PodBandwidth | undefined): Record<string, string> {
  if (!bandwidth) return {};
  return { [INGRESS_BANDWIDTH]: `${bandwidth.ingressMbit}M`, [EGRESS_BANDWIDTH]: `${bandwidth.egressMbit}M` };
}

/**
 * The object with `annotations` on the pods it makes (a Deployment's template, a bare Pod); any other
 * object as it was. Applied to everything a cluster is made of, so no pod builder can forget it.
 */
export function withPodAnnotations<T extends KubernetesObject>(object: T, annotations: Readonly<Record<string, string>>): T {
  if (Object.keys(annotations).length === 0) return object;
  const copy = structuredClone(object);
  const metadata = copy.kind === 'Pod' ? (copy.metadata ??= {}) : copy.kind === 'Deployment' ? podTemplateMetadata(copy as V1Deployment) : undefined;
  if (metadata) metadata.annotations = { ...metadata.annotations, ...annotations };
  return copy;
}

function podTemplateMetadata(deployment: V1Deployment): V1ObjectMeta | undefined {
  return deployment.spec ? (deployment.spec.template.metadata ??= {}) : undefined;
}
