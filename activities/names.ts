import { createHash } from 'node:crypto';
import { digestHex } from '../workflows/pipeline/jar-digest';

/**
 * Kubernetes object names, local folders and storage paths of a cluster, derived only from tenant
 * and name so that every retry, every worker and both runtimes arrive at the same name.
 *
 * The map is injective: two different (tenant, name) pairs never share a cluster name, and so never a
 * folder, object, storage prefix or HA id. Joining with one '-' was not: tenant `a-b` + `c` and tenant
 * `a` + `b-c` were both `a-b-c`, and the second start's compensation deleted the first's cluster.
 *
 *  - Readable form `<tenant>--<name>`, used when neither part contains `--` and it fits: a DNS label
 *    never starts or ends with '-', so the first `--` is exactly where the tenant ends.
 *  - Hashed form for everything else: a readable head with every run of dashes squeezed to one, then
 *    '-' and 64 bits of SHA-256 over the pair. It never contains `--`, so it cannot equal a readable
 *    name; two hashed names are equal only if 64-bit hashes collide. (Forbidding `--` in names would
 *    also do, but would refuse legitimate labels such as punycode `xn--...`.)
 */
const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const MAX_CLUSTER_NAME = 45; // leaves room for suffixes like "--taskmanager" within 63
const SEPARATOR = '--';
const HASH_CHARS = 16;

export function isDns1123Label(value: string, maxLength = 63): boolean {
  return value.length <= maxLength && DNS_1123_LABEL.test(value);
}

function pairHash(tenant: string, name: string): string {
  // JSON keeps the two parts apart whatever they contain.
  return createHash('sha256').update(JSON.stringify([tenant, name])).digest('hex').slice(0, HASH_CHARS);
}

/** `<tenant>--<name>`, or a squeezed head with a hash suffix when that is too long or ambiguous. */
export function clusterName(tenant: string, name: string): string {
  const readable = `${tenant}${SEPARATOR}${name}`;
  if (readable.length <= MAX_CLUSTER_NAME && !tenant.includes(SEPARATOR) && !name.includes(SEPARATOR)) return readable;
  const head = readable.slice(0, MAX_CLUSTER_NAME - HASH_CHARS - 1).replace(/-+/g, '-').replace(/-+$/, '');
  return `${head}-${pairHash(tenant, name)}`;
}

/**
 * `<root>/<tenant>/`: everything of one tenant lies under it. The trailing '/' keeps it prefix-free
 * (`.../a-b/` is no string prefix of `.../a-bc/`), so "starts with" means "inside".
 */
export function tenantStoragePrefix(root: string, tenant: string): string {
  return `${root.replace(/\/+$/, '')}/${tenant}/`;
}

/** `<root>/<tenant>/<cluster>`: the folder of one cluster's checkpoints, savepoints and HA data. */
export function clusterStorageUri(root: string, tenant: string, name: string): string {
  return `${tenantStoragePrefix(root, tenant)}${clusterName(tenant, name)}`;
}

/**
 * `<root>/<tenant>/artifacts/sha256/<hex>.jar`: the tenant's artifact area, the one place a jar
 * connection's jar comes from. `artifacts` holds no `--`, so no cluster's folder is ever named so.
 */
export function tenantArtifactUri(root: string, tenant: string, digest: string): string {
  return `${tenantStoragePrefix(root, tenant)}artifacts/sha256/${digestHex(digest)}.jar`;
}
