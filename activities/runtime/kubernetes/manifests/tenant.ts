import type { V1LimitRange, V1Namespace, V1NetworkPolicy, V1ResourceQuota } from '@kubernetes/client-node';
import { PORTS } from './container';
import { CLUSTER, COMPONENT, objectNames, tenantLabels, type ClusterIdentity } from './labels';
import { clusterMetadata } from './objects';

/**
 * A tenant's guard rails: its own namespace under Pod Security `restricted`, a quota and per-container
 * limits from its plan, and ingress denied except within a cluster and from the worker. Pure.
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
}

export const DEFAULT_TENANT_PLAN: TenantPlan = { cpu: 16, memoryMb: 64 * 1024, ephemeralStorageMb: 128 * 1024, pods: 64,
  maxContainer: { cpu: 8, memoryMb: 32 * 1024, ephemeralStorageMb: 32 * 1024 }, defaultContainerEphemeralStorageMb: 1024 };

export const TENANT_OBJECT_NAMES = { quota: 'flink-fleet-quota', limits: 'flink-fleet-limits', denyIngress: 'flink-fleet-default-deny-ingress',
  allowWorker: 'flink-fleet-allow-worker' } as const;

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

export function tenantGuardRails(namespace: string, tenant: string, plan: TenantPlan, workerNamespace: string) {
  return [tenantQuota(namespace, tenant, plan), tenantLimitRange(namespace, tenant, plan), denyIngress(namespace, tenant),
    allowWorker(namespace, tenant, workerNamespace)];
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
