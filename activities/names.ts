import { createHash } from 'node:crypto';

/**
 * Kubernetes object names and local folder names of a cluster, derived only from tenant and name so
 * that every retry, every worker and both runtimes arrive at the same name.
 */
const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const MAX_CLUSTER_NAME = 45; // leaves room for suffixes like "-taskmanager-12" within 63

export function isDns1123Label(value: string, maxLength = 63): boolean {
  return value.length <= maxLength && DNS_1123_LABEL.test(value);
}

function shortHash(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 8);
}

/** `<tenant>-<name>`, or a truncated form with a hash suffix when that is too long. */
export function clusterName(tenant: string, name: string): string {
  const full = `${tenant}-${name}`;
  if (full.length <= MAX_CLUSTER_NAME) return full;
  const suffix = shortHash(full);
  const head = full.slice(0, MAX_CLUSTER_NAME - suffix.length - 1).replace(/-+$/, '');
  return `${head}-${suffix}`;
}
