import type { V1LimitRange, V1Namespace, V1NetworkPolicy, V1NetworkPolicyEgressRule, V1NetworkPolicyPeer, V1ResourceQuota } from '@kubernetes/client-node';
import type { PodBandwidth } from './bandwidth';
import { PORTS } from './container';
import { CLUSTER, COMPONENT, objectNames, tenantLabels, type ClusterIdentity } from './labels';
import { clusterMetadata } from './objects';
import type { DeclaredEndpoint } from '../../../../workflows/pipeline/egress';

/**
 * A tenant's guard rails: its own namespace under Pod Security `restricted`, a quota and per-container
 * limits from its plan, ingress denied except within a cluster and from the worker, and (when the
 * fleet knows the cluster's addresses) egress denied except to what Flink needs. Pure.
 */
export interface TenantPlan {
  /** Cores, summed over every container of the tenant (requests and limits alike). */
  readonly cpu: number;
  readonly memoryMb: number;
  /** Node-local disk (logs, jars, RocksDB's files, spills): unbounded, one tenant could fill a node's disk and get its neighbours evicted. */
  readonly ephemeralStorageMb: number;
  readonly pods: number;
  /** The largest container the tenant may run. */
  readonly maxContainer: { readonly cpu: number; readonly memoryMb: number; readonly ephemeralStorageMb: number };
  /** The disk of a container that names none (never one of the fleet's, which all do): the LimitRange's default. */
  readonly defaultContainerEphemeralStorageMb: number;
  /** Each pod's share of the network; unset, a pod may take all a node's link gives it. */
  readonly podBandwidth?: PodBandwidth;
  /**
   * The RuntimeClass every pod of the tenant's clusters runs under (a sandbox such as gVisor's, which
   * puts a kernel of its own between a tenant's code and the node's); the cluster's default runtime when absent.
   */
  readonly runtimeClassName?: string;
}

export const DEFAULT_TENANT_PLAN: TenantPlan = { cpu: 16, memoryMb: 64 * 1024, ephemeralStorageMb: 128 * 1024, pods: 64,
  maxContainer: { cpu: 8, memoryMb: 32 * 1024, ephemeralStorageMb: 32 * 1024 }, defaultContainerEphemeralStorageMb: 1024 };

export const TENANT_OBJECT_NAMES = { quota: 'flink-fleet-quota', limits: 'flink-fleet-limits', denyIngress: 'flink-fleet-default-deny-ingress',
  allowWorker: 'flink-fleet-allow-worker', egress: 'flink-fleet-egress' } as const;

/** NetworkPolicies speak addresses, not host names: an endpoint a tenant's pods may open TCP connections to. */
export interface EgressEndpoint {
  readonly cidr: string;
  readonly port: number;
}

/**
 * Everything a tenant's pods may reach besides the pods of their own namespace, which is exactly
 * what Flink needs: cluster DNS (Services are found by name), the API server (native Kubernetes HA
 * keeps leader election and job pointers in ConfigMaps) and the object storage of checkpoints,
 * savepoints and HA metadata. A Service's ClusterIP is rewritten to its endpoints before policies
 * are matched by most enforcers, so the API server is named by its real address (its Service's too, for the others).
 */
export interface TenantEgress {
  /** Asked on port 53, UDP and TCP: CoreDNS's pods (CLUSTER_DNS_PODS) on most clusters. */
  readonly dns: readonly V1NetworkPolicyPeer[];
  readonly apiServer: readonly EgressEndpoint[];
  readonly objectStorage: readonly EgressEndpoint[];
  /** The cluster's own pod, Service and node ranges: no pipeline may declare an endpoint in them. */
  readonly clusterRanges?: readonly string[];
}

/** Where kubeadm, kind and the managed clouds run CoreDNS. */
export const CLUSTER_DNS_PODS: V1NetworkPolicyPeer = {
  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
};

const POD_SECURITY = Object.fromEntries(['enforce', 'audit', 'warn'].flatMap((mode) => [
  [`pod-security.kubernetes.io/${mode}`, 'restricted'], [`pod-security.kubernetes.io/${mode}-version`, 'latest']]));

export function tenantNamespace(name: string, tenant: string): V1Namespace {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { ...tenantLabels(tenant), ...POD_SECURITY } } };
}

const cpu = (cores: number): string => `${Math.round(cores * 1000)}m`;
const memory = (mb: number): string => `${mb}Mi`;

export function tenantQuota(namespace: string, tenant: string, plan: TenantPlan): V1ResourceQuota {
  const compute = { cpu: cpu(plan.cpu), memory: memory(plan.memoryMb), disk: memory(plan.ephemeralStorageMb) };
  return {
    apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: TENANT_OBJECT_NAMES.quota, namespace, labels: tenantLabels(tenant) },
    spec: { hard: { 'requests.cpu': compute.cpu, 'limits.cpu': compute.cpu, 'requests.memory': compute.memory, 'limits.memory': compute.memory,
      'requests.ephemeral-storage': compute.disk, 'limits.ephemeral-storage': compute.disk, pods: String(plan.pods) } },
  };
}

/** Defaults only matter for containers the fleet did not make: every container it makes sets its own.
 * (`_default`, `_from`: the client's model names, serialized as `default` and `from`.) */
export function tenantLimitRange(namespace: string, tenant: string, plan: TenantPlan): V1LimitRange {
  const max = { cpu: cpu(plan.maxContainer.cpu), memory: memory(plan.maxContainer.memoryMb), 'ephemeral-storage': memory(plan.maxContainer.ephemeralStorageMb) };
  const defaults = { cpu: '500m', memory: '512Mi', 'ephemeral-storage': memory(plan.defaultContainerEphemeralStorageMb) };
  return {
    apiVersion: 'v1', kind: 'LimitRange', metadata: { name: TENANT_OBJECT_NAMES.limits, namespace, labels: tenantLabels(tenant) },
    spec: { limits: [{ type: 'Container', max, _default: { ...defaults }, defaultRequest: { ...defaults } }] },
  };
}

export function denyIngress(namespace: string, tenant: string): V1NetworkPolicy {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: TENANT_OBJECT_NAMES.denyIngress, namespace, labels: tenantLabels(tenant) },
    spec: { podSelector: {}, policyTypes: ['Ingress'] } };
}

/** The worker calls the JobManager's REST API and the SQL Gateway; nothing else of a cluster is its business. */
export function allowWorker(namespace: string, tenant: string, workerNamespace: string): V1NetworkPolicy {
  return {
    apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: TENANT_OBJECT_NAMES.allowWorker, namespace, labels: tenantLabels(tenant) },
    spec: {
      podSelector: { matchExpressions: [{ key: COMPONENT, operator: 'In', values: ['jobmanager', 'gateway'] }] },
      policyTypes: ['Ingress'],
      ingress: [{ _from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': workerNamespace } } }],
        ports: [{ protocol: 'TCP', port: PORTS.rest }, { protocol: 'TCP', port: PORTS.gateway }] }],
    },
  };
}

/**
 * Selecting every pod of the namespace makes egress default-deny there. Its own namespace is open
 * because the ingress policies there already admit only the same cluster: "same cluster" cannot be
 * said in an egress rule of the namespace's (see allowWithinCluster), and a rule per cluster would
 * have to exist before the cluster's first pod. A tenant's pods thus reach no other tenant, no
 * metadata service and nothing on the internet.
 */
export function restrictEgress(namespace: string, tenant: string, egress: TenantEgress): V1NetworkPolicy {
  const tcp = ({ cidr, port }: EgressEndpoint): V1NetworkPolicyEgressRule => ({ to: [{ ipBlock: { cidr } }], ports: [{ protocol: 'TCP', port }] });
  return {
    apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: TENANT_OBJECT_NAMES.egress, namespace, labels: tenantLabels(tenant) },
    spec: {
      podSelector: {}, policyTypes: ['Egress'],
      egress: [
        { to: [{ podSelector: {} }] },
        { to: [...egress.dns], ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] },
        ...egress.apiServer.map(tcp), ...egress.objectStorage.map(tcp),
      ],
    },
  };
}

/** Without `egress` a tenant's pods may connect anywhere, as on a cluster whose addresses the fleet was not told. */
export function tenantGuardRails(namespace: string, tenant: string, plan: TenantPlan, workerNamespace: string, egress?: TenantEgress) {
  return [tenantQuota(namespace, tenant, plan), tenantLimitRange(namespace, tenant, plan), denyIngress(namespace, tenant),
    allowWorker(namespace, tenant, workerNamespace), ...(egress ? [restrictEgress(namespace, tenant, egress)] : [])];
}

/**
 * The endpoints a pipeline declared, for its own pods only: policies add up, so beside the
 * namespace's wall (restrictEgress) this opens exactly these for this cluster. Owned by its root and
 * collected with it.
 */
export function allowDeclaredEgress(id: ClusterIdentity, endpoints: readonly DeclaredEndpoint[]): V1NetworkPolicy {
  return {
    apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: clusterMetadata(id, objectNames(id.cluster).egressPolicy, 'jobmanager'),
    spec: {
      podSelector: { matchLabels: { [CLUSTER]: id.cluster } }, policyTypes: ['Egress'],
      egress: endpoints.map(({ cidr, port }) => ({ to: [{ ipBlock: { cidr } }], ports: [{ protocol: 'TCP', port }] })),
    },
  };
}

/**
 * "Same cluster" cannot be said once per namespace (a NetworkPolicy cannot compare two pods' label
 * values), so each cluster brings its own policy, owned by its root and collected with it.
 */
export function allowWithinCluster(id: ClusterIdentity): V1NetworkPolicy {
  const ownPods = { matchLabels: { [CLUSTER]: id.cluster } };
  return {
    apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: clusterMetadata(id, objectNames(id.cluster).internalPolicy, 'jobmanager'),
    spec: { podSelector: ownPods, policyTypes: ['Ingress'], ingress: [{ _from: [{ podSelector: ownPods }] }] },
  };
}
