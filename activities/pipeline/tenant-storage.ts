import type { FlinkRuntime } from '../runtime/types';

/**
 * A tenant may restore from, and load file:// jars from, its own storage only: anything else would
 * read another tenant's state or the worker's disk. Only the runtime knows where storage is, so the
 * check runs in the deploy activity; the decision itself is pure.
 */

/** `<root>/<tenant>/`: the folder around every cluster's storage of the tenant (activities/names.ts). */
export function tenantStoragePrefixOf(runtime: Pick<FlinkRuntime, 'storageUri'>, tenant: string): string {
  // Any name will do: only the folder above the cluster's own is kept.
  const clusterStorage = runtime.storageUri({ tenant, name: 'x' });
  return clusterStorage.slice(0, clusterStorage.lastIndexOf('/') + 1);
}

/**
 * The URI as `scheme://authority/segments...`, or undefined when it is not written plainly. Nothing
 * is decoded or resolved: a path the fleet wrote never needs `..`, `.`, empty segments, percent
 * escapes, backslashes, a query or a fragment, and each of them is a way to make a string that starts
 * with the prefix name a file outside it (once Flink, Hadoop or the object store interprets it).
 */
function plainUri(uri: string): { scheme: string; rest: string } | undefined {
  const match = /^([a-zA-Z][a-zA-Z0-9+.-]*):(.*)$/s.exec(uri);
  if (!match) return undefined;
  const scheme = (match[1] as string).toLowerCase();
  // Flink reports local paths as `file:/path`; it is the same file as `file:///path`.
  const rest = scheme === 'file' && /^\/(?!\/)/.test(match[2] as string) ? `//${match[2] as string}` : (match[2] as string);
  if (!rest.startsWith('//') || /[%\\?#\s]/.test(rest)) return undefined;
  const segments = rest.slice(2).split('/').slice(1);
  const inner = segments.slice(0, -1);
  if (inner.some((segment) => segment === '' || segment === '.' || segment === '..')) return undefined;
  const last = segments.at(-1);
  if (last === '.' || last === '..') return undefined;
  return { scheme, rest };
}

/** True when `uri` names something strictly inside the folder `tenantPrefix`. */
export function isWithinTenantStorage(uri: string, tenantPrefix: string): boolean {
  const target = plainUri(uri);
  const prefix = plainUri(tenantPrefix.endsWith('/') ? tenantPrefix : `${tenantPrefix}/`);
  if (!target || !prefix || target.scheme !== prefix.scheme) return false;
  return target.rest.startsWith(prefix.rest) && target.rest.length > prefix.rest.length;
}

const PLAINLY = "written plainly (no '..', '//', '%', '\\', '?' or '#')";

/** Problems naming the spec field, for an InvalidSpec failure; none when both lie inside (or are absent, or remote). */
export function tenantStorageProblems(uris: { restoreFrom?: string; jarUri?: string }, tenantPrefix: string): string[] {
  const problems: string[] = [];
  if (uris.restoreFrom !== undefined && !isWithinTenantStorage(uris.restoreFrom, tenantPrefix)) {
    problems.push(`spec.restoreFrom: must lie inside the tenant's own storage (${tenantPrefix}), ${PLAINLY}`);
  }
  if (uris.jarUri?.toLowerCase().startsWith('file:') && !isWithinTenantStorage(uris.jarUri, tenantPrefix)) {
    problems.push(`spec.job.jarUri: a file:// jar must lie inside the tenant's own storage (${tenantPrefix}), ${PLAINLY}`);
  }
  return problems;
}
