import type { KubernetesObject, V1ConfigMap, V1ObjectMeta, V1OwnerReference } from '@kubernetes/client-node';
import { clusterLabels, type ClusterIdentity, type Component, type Labels } from './labels';

/** Metadata and ownership shared by every object of a cluster. Pure. */
export function clusterMetadata(id: ClusterIdentity, name: string, component: Component, extraLabels: Labels = {}): V1ObjectMeta {
  return { name, namespace: id.namespace, labels: { ...clusterLabels(id, component), ...extraLabels } };
}

/**
 * The root is the cluster's ConfigMap: every pod needs it first, so it is created first and its uid
 * is known before anything else is applied; deleting it lets the garbage collector take the rest.
 */
export function ownerReference(root: V1ConfigMap): V1OwnerReference {
  const { name, uid } = root.metadata ?? {};
  if (!name || !uid) throw new Error('the root ConfigMap has no name or uid yet: apply it before its dependents');
  return { apiVersion: 'v1', kind: 'ConfigMap', name, uid, blockOwnerDeletion: true };
}

export function ownedBy<T extends KubernetesObject>(owner: V1OwnerReference): (object: T) => T {
  return (object) => ({ ...object, metadata: { ...object.metadata, ownerReferences: [owner] } });
}

/** How objects are named in messages and logs. */
export function describeObject(object: KubernetesObject): string {
  return `${object.kind ?? '?'} ${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? '?'}`;
}
