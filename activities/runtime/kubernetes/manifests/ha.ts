import type { V1Role, V1RoleBinding, V1ServiceAccount } from '@kubernetes/client-node';
import { objectNames, type ClusterIdentity } from './labels';
import { clusterMetadata } from './objects';

/**
 * What Flink's Kubernetes HA services need: the JobManager elects its leader and stores checkpoint
 * pointers in ConfigMaps of its namespace (and newer clients use Leases), and TaskManagers find the
 * leader by watching them, all through the cluster's own ServiceAccount. Nothing else is granted.
 */
const HA_VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];

export function haServiceAccount(id: ClusterIdentity): V1ServiceAccount {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: clusterMetadata(id, objectNames(id.cluster).serviceAccount, 'jobmanager'),
    automountServiceAccountToken: false };
}

export function haRole(id: ClusterIdentity): V1Role {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: clusterMetadata(id, objectNames(id.cluster).haRole, 'jobmanager'),
    rules: [
      { apiGroups: [''], resources: ['configmaps'], verbs: HA_VERBS },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: HA_VERBS },
    ],
  };
}

export function haRoleBinding(id: ClusterIdentity): V1RoleBinding {
  const names = objectNames(id.cluster);
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: clusterMetadata(id, names.haRole, 'jobmanager'),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: names.haRole },
    subjects: [{ kind: 'ServiceAccount', name: names.serviceAccount, namespace: id.namespace }],
  };
}

/**
 * Flink labels the HA ConfigMaps it creates itself; they carry no owner, so cleanup selects them by
 * this. Flink 2.3's `<cluster id>-cluster-config-map` carries only `app` and `type` (seen on the real
 * node), not the `configmap-type=high-availability` of older versions, which this selects as well.
 */
export function flinkHaConfigMapSelector(cluster: string): string {
  return `app=${cluster},type=flink-native-kubernetes`;
}
