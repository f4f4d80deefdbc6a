import { ClusterStartFailed } from '../types';

/**
 * Why a cluster did not start, as a type a caller can branch on. None but StartTimeout is likely to
 * go away by retrying the same request soon: the activity maps them to non-retryable failures.
 */
export const StartFailure = {
  InvalidSpec: 'InvalidSpec',
  QuotaExceeded: 'QuotaExceeded',
  Unschedulable: 'Unschedulable',
  ImagePullFailed: 'ImagePullFailed',
  CrashLooping: 'CrashLooping',
  /** Refused by admission for another reason than quota (Pod Security, a LimitRange maximum). */
  PodRejected: 'PodRejected',
  /** The kubelet cannot build the container: a Secret or key that secretEnv names does not exist. */
  ContainerConfigError: 'ContainerConfigError',
  /** A jar connection's jar, as its JobManager's pod fetched it, is not the bytes its digest names. */
  JarDigestMismatch: 'JarDigestMismatch',
  /** A jar connection's digest is not in the tenant's artifact area. */
  InvalidJar: 'InvalidJar',
  /** Nothing said why, yet it was not ready in time: the message names what it still waited for. */
  StartTimeout: 'StartTimeout',
} as const;
export type StartFailureType = (typeof StartFailure)[keyof typeof StartFailure];

export function startFailed(cluster: string, type: StartFailureType, reason: string): ClusterStartFailed {
  return new ClusterStartFailed(cluster, reason, type);
}

/** Bad input, found before any API call: every problem names the field and the rule it broke. */
export class InvalidClusterSpec extends ClusterStartFailed {
  constructor(cluster: string, readonly problems: readonly string[]) {
    super(cluster, `invalid spec: ${problems.join('; ')}`, StartFailure.InvalidSpec);
  }
}
