import type { KubernetesObject } from '@kubernetes/client-node';
import { applicationClusterObjects, type ClusterPlacement } from '../activities/runtime/kubernetes/manifests/application';
import { CLUSTER, CLUSTER_KIND, COMPONENT, MANAGED_BY, NAME_ANNOTATION, TENANT, type ClusterIdentity } from '../activities/runtime/kubernetes/manifests/labels';
import { storageSecret } from '../activities/runtime/kubernetes/manifests/storage';
import type { ApplicationClusterSpec } from '../activities/runtime/types';

/**
 * The bench's baseline: the same Flink cluster (image, config.yaml, job, pods, Service, HA account)
 * as the fleet's builders make it, as plain manifests a user would apply with no control plane. Pure.
 * The fleet's marks go: its janitor deletes any cluster labelled managed-by=flink-fleet whose
 * workflow is not running, so a baseline that kept them would be collected mid-measurement.
 */
const DROPPED = new Set([MANAGED_BY, TENANT, CLUSTER_KIND, NAME_ANNOTATION]);
/** Selectors keep working: the keys they match on are renamed alike in labels, selectors and policies. */
const RENAMED: Readonly<Record<string, string>> = { [CLUSTER]: 'app', [COMPONENT]: 'component' };

function plainValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plainValue);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value)
    .filter(([key]) => !DROPPED.has(key))
    .map(([key, inner]) => [RENAMED[key] ?? key, plainValue(inner)]));
}

/** `object` without the fleet's labels and annotations, and owned by nothing. */
export function plainManifest<T extends KubernetesObject>(object: T): T {
  const plain = plainValue(object) as T;
  if (plain.metadata) delete plain.metadata.ownerReferences;
  return plain;
}

/**
 * Everything to apply into `id.namespace`, in order: the storage credentials (which the fleet puts in
 * the tenant's namespace on each start), the ConfigMap, then what mounts it.
 */
export function plainApplicationCluster(id: ClusterIdentity, spec: ApplicationClusterSpec, placement: ClusterPlacement): KubernetesObject[] {
  const credentials = placement.objectStorage.credentials;
  const { root, dependents } = applicationClusterObjects(id, spec, placement);
  return [...(credentials ? [storageSecret(id.namespace, id.tenant, credentials)] : []), root, ...dependents].map(plainManifest);
}
