import type { V1ConfigMap, V1Deployment, V1Pod } from '@kubernetes/client-node';
import type { ClusterEndpoints, ClusterObservation, ProcessObservation } from '../types';
import { CLUSTER_KIND, COMPONENT, type Component } from './manifests/labels';

/**
 * A typed snapshot of one cluster from its objects, as the Flink Kubernetes Operator's observers do:
 * what exists and whether it lives, never a decision. Pure.
 */
export interface ClusterObjects {
  readonly root?: V1ConfigMap;
  readonly deployments: readonly V1Deployment[];
  readonly pods: readonly V1Pod[];
}

const DEAD_WAITING = new Set(['CrashLoopBackOff', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull', 'CreateContainerConfigError']);

export function isAlive(pod: V1Pod): boolean {
  if (pod.metadata?.deletionTimestamp) return false;
  if (pod.status?.phase !== 'Pending' && pod.status?.phase !== 'Running') return false;
  return !(pod.status?.containerStatuses ?? []).some((s) => DEAD_WAITING.has(s.state?.waiting?.reason ?? ''));
}

function role(pod: V1Pod): string {
  return pod.metadata?.labels?.[COMPONENT] ?? 'unknown';
}

function deathOf(pod: V1Pod): string {
  const waiting = pod.status?.containerStatuses?.find((s) => s.state?.waiting?.reason)?.state?.waiting;
  if (pod.metadata?.deletionTimestamp) return 'is being deleted';
  return waiting ? `is ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}` : `is ${pod.status?.phase ?? 'in an unknown phase'}`;
}

/**
 * A pod being deleted or evicted is no longer counted by its ReplicaSet, which creates the replacement
 * at once: until it exists, the cluster is waiting for it, not failed (with Kubernetes HA the new
 * JobManager resumes the job by itself).
 */
function replaced(pod: V1Pod): boolean {
  return Boolean(pod.metadata?.deletionTimestamp) || pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded';
}

/** The JobManager and the gateway cannot be replaced by Flink itself: without one alive the cluster has failed. */
function coreFailure(kind: string, objects: ClusterObjects): string | undefined {
  const core: Component[] = kind === 'session' ? ['jobmanager', 'gateway'] : ['jobmanager'];
  for (const component of core) {
    const deployment = objects.deployments.find((d) => d.metadata?.labels?.[COMPONENT] === component);
    if (!deployment) return `the ${component} Deployment is missing`;
    if (deployment.metadata?.deletionTimestamp) return `the ${component} Deployment is being deleted`;
    const pods = objects.pods.filter((p) => role(p) === component && !replaced(p));
    if (pods.length > 0 && !pods.some(isAlive)) return `the ${component} pod ${pods[0]?.metadata?.name} ${deathOf(pods[0] as V1Pod)}`;
  }
  return undefined;
}

function taskManagerTrouble(kind: string, objects: ClusterObjects): string | undefined {
  const dead = objects.pods.find((p) => role(p) === 'taskmanager' && !isAlive(p));
  if (dead) return `TaskManager ${dead.metadata?.name} ${deathOf(dead)}`;
  if (kind === 'application' && !objects.deployments.some((d) => d.metadata?.labels?.[COMPONENT] === 'taskmanager')) return 'the taskmanager Deployment is missing';
  return undefined;
}

/**
 * An eviction for local disk: the kubelet's reason is `Evicted` for every signal, and only its message
 * says which ("Container taskmanager exceeded its local ephemeral storage limit "512Mi".", "Pod
 * ephemeral local storage usage exceeds the total limit of containers 512Mi.", an emptyDir over its size).
 */
export function diskEviction(pod: V1Pod): string | undefined {
  const { reason, message } = pod.status ?? {};
  if (reason !== 'Evicted' || !message || !/(local ephemeral|ephemeral local) storage|EmptyDir volume/i.test(message)) return undefined;
  return `${role(pod)} pod ${pod.metadata?.name ?? '?'} was evicted: ${message.trim()}`;
}

export function observeCluster(cluster: string, objects: ClusterObjects, endpoints: ClusterEndpoints): ClusterObservation {
  const observed = observeHealth(cluster, objects, endpoints);
  const diskExceeded = objects.pods.map(diskEviction).find((found) => found !== undefined);
  return diskExceeded ? { ...observed, diskExceeded } : observed;
}

function observeHealth(cluster: string, objects: ClusterObjects, endpoints: ClusterEndpoints): ClusterObservation {
  const processes: ProcessObservation[] = objects.pods.map((pod) => ({ name: pod.metadata?.name ?? '?', role: role(pod), alive: isAlive(pod) }));
  if (!objects.root) {
    if (objects.deployments.length === 0 && objects.pods.length === 0) return { cluster, health: 'missing', processes: [] };
    return { cluster, health: 'failed', processes, reason: 'the cluster\'s ConfigMap is missing: it was deleted or never fully created' };
  }
  const kind = objects.root.metadata?.labels?.[CLUSTER_KIND] ?? 'application';
  const failed = coreFailure(kind, objects);
  if (failed) return { cluster, health: 'failed', endpoints, processes, reason: failed };
  const degraded = taskManagerTrouble(kind, objects);
  if (degraded) return { cluster, health: 'degraded', endpoints, processes, reason: degraded };
  return { cluster, health: 'running', endpoints, processes };
}
