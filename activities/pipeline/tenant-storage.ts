import { isStrictlyInside } from '../../workflows/storage-prefix';
import type { FlinkRuntime } from '../runtime/types';

/**
 * A tenant may restore from its own storage only: anything else would read another tenant's state
 * or the worker's disk. Only the runtime knows where storage is, so the
 * check runs in the deploy activity; the decision itself is pure (workflows/storage-prefix.ts), and
 * strict: the tenant's folder itself is no savepoint. (Jars need no such check: they are named by
 * digest and always come from the tenant's artifact area.)
 */

/** `<root>/<tenant>/`: the folder around every cluster's storage of the tenant (activities/names.ts). */
export function tenantStoragePrefixOf(runtime: Pick<FlinkRuntime, 'storageUri'>, tenant: string): string {
  // Any name will do: only the folder above the cluster's own is kept.
  const clusterStorage = runtime.storageUri({ tenant, name: 'x' });
  return clusterStorage.slice(0, clusterStorage.lastIndexOf('/') + 1);
}

const PLAINLY = "written plainly (no '..', '//', '%', '\\', '?' or '#')";

/** Problems naming the spec field, for an InvalidSpec failure; none when it lies inside (or is absent). */
export function restoreFromProblems(restoreFrom: string | undefined, tenantPrefix: string): string[] {
  if (restoreFrom === undefined || isStrictlyInside(restoreFrom, tenantPrefix)) return [];
  return [`spec.restoreFrom: must lie inside the tenant's own storage (${tenantPrefix}), ${PLAINLY}`];
}
