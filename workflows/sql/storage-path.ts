/**
 * Whether a filesystem connector's `path` lies inside a prefix the tenant owns. Pure; the caller
 * passes the prefix (a pipeline's own storage URI), so who owns what is decided in one place.
 *
 * Fails closed on anything whose meaning differs between this check and Flink's Path: percent
 * escapes (Java's URI decodes them), backslashes, `.` and `..` segments, relative paths.
 */
export function pathWithin(path: string, prefix: string): boolean {
  if (/[%\\]/.test(path) || path.split('/').some((segment) => segment === '.' || segment === '..')) return false;
  // Flink reads a path without a scheme from its default filesystem, the local one here.
  const absolute = path.startsWith('/') ? `file://${path}` : path;
  const target = parseUri(absolute);
  const owned = parseUri(prefix);
  if (!target || !owned || target.protocol !== owned.protocol || target.host !== owned.host) return false;
  const ownedPath = owned.pathname.endsWith('/') ? owned.pathname : `${owned.pathname}/`;
  return `${target.pathname}/`.startsWith(ownedPath);
}

function parseUri(text: string): URL | undefined {
  if (!/^[a-z][a-z0-9+.-]*:/i.test(text)) return undefined;
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}
