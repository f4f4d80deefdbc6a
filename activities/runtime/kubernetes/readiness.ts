import type { CoreV1Event, V1ContainerStatus, V1Deployment, V1Pod } from '@kubernetes/client-node';
import { StartFailure, type StartFailureType } from './errors';
import { JAR_FETCHER_EXIT } from './jar-fetcher/location';
import { JAR_FETCHER_CONTAINER } from './manifests/jar-check';

/**
 * Why a cluster is not ready yet, read from what Kubernetes reports: Deployment conditions, pod and
 * container status, and Events. Pure, so every verdict is unit-tested without a cluster. Readiness is
 * the Deployments' availability, which the pods' readiness probes make Flink's own answer: a
 * JobManager's REST lists its job (an application cluster) or answers (a session cluster), a
 * gateway answers. kwok marks pods ready without probing them.
 */
export interface ClusterState {
  readonly deployments: readonly V1Deployment[];
  readonly pods: readonly V1Pod[];
  /** Only about the cluster's current ReplicaSets and pods: an earlier cluster of the same name had its own. */
  readonly events: readonly CoreV1Event[];
}

export type Readiness =
  | { readonly ready: true }
  | { readonly ready: false; readonly waitingFor: string }
  | { readonly ready: false; readonly failure: { readonly type: StartFailureType; readonly reason: string } };

/** The registry or the name is wrong: pulling again soon gives the same answer. */
const IMAGE_FAILURES = new Set(['ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull']);

function failure(type: StartFailureType, reason: string): Readiness {
  return { ready: false, failure: { type, reason } };
}

function quotaRefusal(state: ClusterState): string | undefined {
  for (const deployment of state.deployments) {
    const condition = deployment.status?.conditions?.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
    if (condition?.message && /exceeded quota/.test(condition.message)) return `${deployment.metadata?.name}: ${condition.message}`;
  }
  const event = state.events.find((e) => e.reason === 'FailedCreate' && /exceeded quota/.test(e.message ?? ''));
  return event ? `${event.involvedObject.name}: ${event.message}` : undefined;
}

/**
 * Pod Security and LimitRange refusals are as permanent as the quota; other FailedCreate events (a
 * ServiceAccount the admission cache has not seen yet) pass, and the ReplicaSet tries again.
 */
function otherCreateRefusal(state: ClusterState): string | undefined {
  const event = state.events.find((e) => e.reason === 'FailedCreate' && /violates PodSecurity|maximum (cpu|memory) usage/.test(e.message ?? ''));
  return event ? `${event.involvedObject.name}: ${event.message}` : undefined;
}

function containerFailure(pod: V1Pod, status: V1ContainerStatus): Readiness | undefined {
  const waiting = status.state?.waiting;
  const where = `pod ${pod.metadata?.name}, container ${status.name}`;
  if (waiting?.reason && IMAGE_FAILURES.has(waiting.reason)) return failure(StartFailure.ImagePullFailed, `${where}: ${waiting.reason}: ${waiting.message ?? status.image}`);
  if (waiting?.reason === 'CreateContainerConfigError') return failure(StartFailure.ContainerConfigError, `${where}: ${waiting.message ?? waiting.reason}`);
  if (waiting?.reason === 'CrashLoopBackOff') {
    const last = status.lastState?.terminated;
    const exit = last ? `exit code ${last.exitCode}${last.reason ? ` (${last.reason})` : ''}${last.message ? `: ${last.message}` : ''}` : 'no exit status';
    return failure(StartFailure.CrashLooping, `${where} keeps crashing, ${status.restartCount} restarts, last ${exit}`);
  }
  return undefined;
}

/**
 * The jar fetcher's verdict is final at its first exit: the bytes in the artifact area are what they
 * are, and the kubelet would only fetch them again and again (Init:CrashLoopBackOff).
 */
function jarRefusal(pod: V1Pod, status: V1ContainerStatus): Readiness | undefined {
  if (status.name !== JAR_FETCHER_CONTAINER) return undefined;
  const exited = status.state?.terminated ?? status.lastState?.terminated;
  const type = exited && JAR_FETCHER_EXIT[exited.exitCode];
  return exited && type ? failure(type, `pod ${pod.metadata?.name}: ${(exited.message ?? `${JAR_FETCHER_CONTAINER} exit code ${exited.exitCode}`).trim()}`) : undefined;
}

/** Unschedulable can heal (a node autoscaler adds room), so it fails only after it lasted `graceMs`. */
function unschedulable(pod: V1Pod, now: number, graceMs: number): Readiness | undefined {
  const condition = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable');
  if (!condition) return undefined;
  const since = condition.lastTransitionTime ? new Date(condition.lastTransitionTime).getTime() : now;
  const reason = `pod ${pod.metadata?.name} cannot be scheduled: ${condition.message ?? 'no node fits'}`;
  return now - since >= graceMs ? failure(StartFailure.Unschedulable, reason) : { ready: false, waitingFor: reason };
}

function unavailable(deployment: V1Deployment): string | undefined {
  const wanted = deployment.spec?.replicas ?? 1;
  const status = deployment.status ?? {};
  const current = (status.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 0);
  if (current && (status.updatedReplicas ?? 0) >= wanted && (status.availableReplicas ?? 0) >= wanted) return undefined;
  return `deployment ${deployment.metadata?.name}: ${status.availableReplicas ?? 0}/${wanted} available`;
}

export function diagnose(state: ClusterState, now: number, unschedulableGraceMs: number): Readiness {
  const quota = quotaRefusal(state);
  if (quota) return failure(StartFailure.QuotaExceeded, quota);
  const refused = otherCreateRefusal(state);
  if (refused) return failure(StartFailure.PodRejected, refused);
  let waitingFor: string | undefined;
  for (const pod of state.pods) {
    for (const status of pod.status?.initContainerStatuses ?? []) {
      const verdict = jarRefusal(pod, status) ?? containerFailure(pod, status);
      if (verdict) return verdict;
    }
    for (const status of pod.status?.containerStatuses ?? []) {
      const verdict = containerFailure(pod, status);
      if (verdict) return verdict;
    }
    const pending = unschedulable(pod, now, unschedulableGraceMs);
    if (pending && 'failure' in pending) return pending;
    if (pending && 'waitingFor' in pending) waitingFor ??= pending.waitingFor;
  }
  const notAvailable = state.deployments.map(unavailable).find((reason) => reason !== undefined);
  if (state.deployments.length === 0) return { ready: false, waitingFor: 'no deployment of the cluster exists yet' };
  return notAvailable ? { ready: false, waitingFor: waitingFor ?? notAvailable } : { ready: true };
}
