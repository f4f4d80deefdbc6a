/**
 * A jar connection names its jar by the SHA-256 of its bytes, never by a place: the fleet fetches it
 * from the tenant's own artifact area only (activities/names.ts, `tenantArtifactUri`), so a tenant
 * cannot make the fleet fetch from another host or read another tenant's files, and what Flink runs
 * is exactly what the tenant put there. Pure (the workflow sandbox imports it).
 */
export const JAR_DIGEST = /^sha256:[0-9a-f]{64}$/;

export const JAR_DIGEST_RULE = 'must be sha256:<64 lowercase hex digits>, the digest `flink-fleet artifact put` printed for the jar';

/** The 64 hex digits of a valid digest. */
export function digestHex(digest: string): string {
  return digest.slice('sha256:'.length);
}
