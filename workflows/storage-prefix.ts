/**
 * The one answer to "does this URI name something inside that storage folder", for every wall that
 * asks it: a restore path and a `file://` jar inside the tenant's storage (activities), a filesystem
 * table's path inside the pipeline's own storage (the SQL policy). Pure and deterministic, so the
 * workflow sandbox can run it too.
 *
 * Strictly inside: the folder itself is refused. A savepoint or a jar is a file or folder below the
 * tenant's root, never the root; and a table over the pipeline's whole storage folder would read, or
 * write beside, the fleet's own checkpoints, savepoints and HA metadata kept there.
 *
 * Nothing is decoded, resolved or normalized: a path the fleet writes never needs `..`, `.`, empty
 * segments (`//`), percent escapes, backslashes, whitespace, a query or a fragment, and each is a way
 * to write a string that starts with the folder's name and means a file outside it once Java's URI,
 * Hadoop's Path or an object store reads it. So any of them refuses. The scheme is compared without
 * case (RFC 3986) but never aliased: `s3a://` and `s3p://` are other filesystems than `s3://`, with
 * clients and credentials of their own. Authority and path are compared exactly, case included.
 */
interface PlainUri {
  readonly scheme: string;
  readonly authority: string;
  readonly segments: readonly string[];
}

const URI = /^([a-zA-Z][a-zA-Z0-9+.-]*):(.*)$/s;
const NOT_PLAIN = /[%\\?#\s]/;

/** The URI's parts, or undefined when it is not written plainly. A trailing slash is allowed and dropped. */
function plainUri(uri: string): PlainUri | undefined {
  const match = URI.exec(uri);
  if (!match) return undefined;
  const scheme = (match[1] as string).toLowerCase();
  let rest = match[2] as string;
  // Flink reports local paths as `file:/path`, the same file as `file:///path`.
  if (scheme === 'file' && /^\/(?!\/)/.test(rest)) rest = `//${rest}`;
  if (!rest.startsWith('//') || NOT_PLAIN.test(rest)) return undefined;
  const [authority = '', ...segments] = rest.slice(2).split('/');
  if (segments.at(-1) === '') segments.pop();
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..')) return undefined;
  return { scheme, authority, segments };
}

/** True when `uri` names something strictly inside the folder `folder` (with or without its trailing slash). */
export function isStrictlyInside(uri: string, folder: string): boolean {
  const target = plainUri(uri);
  const outer = plainUri(folder);
  if (!target || !outer || target.scheme !== outer.scheme || target.authority !== outer.authority) return false;
  return target.segments.length > outer.segments.length && outer.segments.every((segment, i) => target.segments[i] === segment);
}
