/**
 * The labels every object of the fleet carries. Kubernetes labels are the record of what exists:
 * cleanup, observation and the leak check all select by them, so a half-done create is still found.
 */
export const MANAGED_BY = 'app.kubernetes.io/managed-by';
export const APP_NAME = 'app.kubernetes.io/name';
export const TENANT = 'flink-fleet/tenant';
export const CLUSTER = 'flink-fleet/cluster';
export const COMPONENT = 'flink-fleet/component';
/** On the root ConfigMap only: what listClusters reads. */
export const CLUSTER_KIND = 'flink-fleet/kind';
export const POOL = 'flink-fleet/pool';
/** Cluster names may be hashed; the name the caller gave is kept here to list clusters by it. */
export const NAME_ANNOTATION = 'flink-fleet/name';
export const FIELD_MANAGER = 'flink-fleet';
export const MANAGED_BY_SELECTOR = `${MANAGED_BY}=${FIELD_MANAGER}`;

export type Component = 'jobmanager' | 'taskmanager' | 'gateway';
export type Labels = Readonly<Record<string, string>>;

/** Where one cluster lives and what its objects are called; every builder starts from this. */
export interface ClusterIdentity {
  readonly tenant: string;
  /** The caller's name of the cluster (a pipeline's name). */
  readonly name: string;
  /** The DNS-1123 name all object names derive from: `clusterName(tenant, name)`. */
  readonly cluster: string;
  readonly namespace: string;
}

export function tenantLabels(tenant: string): Labels {
  return { [MANAGED_BY]: FIELD_MANAGER, [APP_NAME]: 'flink', [TENANT]: tenant };
}

export function clusterLabels(id: ClusterIdentity, component: Component): Labels {
  return { ...tenantLabels(id.tenant), [CLUSTER]: id.cluster, [COMPONENT]: component };
}

/** Selects the pods of one component: what Deployments and Services match on. */
export function componentSelector(id: ClusterIdentity, component: Component): Labels {
  return { [CLUSTER]: id.cluster, [COMPONENT]: component };
}

/** Everything of one cluster, whatever its kind: the selector cleanup deletes by. */
export function clusterSelector(cluster: string): string {
  return `${MANAGED_BY_SELECTOR},${CLUSTER}=${cluster}`;
}

/**
 * Object names within the cluster's namespace; all fit 63 characters because cluster names are ≤ 45.
 * The suffix follows `--` and contains none itself, so the last `--` of a name says where the cluster
 * name ends: `c--gateway` of one cluster is never another cluster's `c` or `c--x` (with a single '-',
 * session cluster `p`'s gateway Service was the Service of a cluster called `p-gateway`).
 */
export const objectNames = (cluster: string) => ({
  config: `${cluster}--config`,
  service: cluster,
  serviceAccount: `${cluster}--flink`,
  haRole: `${cluster}--ha`,
  internalPolicy: `${cluster}--internal`,
  egressPolicy: `${cluster}--egress`,
  jobManager: `${cluster}--jobmanager`,
  taskManager: `${cluster}--taskmanager`,
  gateway: `${cluster}--gateway`,
});
