import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, renameSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tenantArtifactUri } from '../activities/names';

/**
 * Puts jars into tenants' artifact areas (`<storage root>/<tenant>/artifacts/sha256/<hex>.jar`), where
 * jar connections name them by digest. The area is content-addressed, so a second put of the same
 * bytes changes nothing, and different bytes can never take a digest's place through here.
 */
export interface PutArtifactResult {
  readonly digest: string;
  readonly uri: string;
  /** False when the area already held these bytes. */
  readonly written: boolean;
}

export class ArtifactStorageUnsupported extends Error {
  override readonly name = 'ArtifactStorageUnsupported';
}

export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

/** Only a `file://` root for now (the local runtime's storage); an object store's root is refused by name. */
/** The tenant must be valid already (the caller's edge checks it). */
export async function putArtifact(storageRoot: string, tenant: string, jarPath: string): Promise<PutArtifactResult> {
  if (!storageRoot.startsWith('file:///')) throw new ArtifactStorageUnsupported(`artifact put writes to file:// storage only, not ${storageRoot}`);
  const bytes = readFileSync(jarPath);
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const uri = tenantArtifactUri(storageRoot, tenant, digest);
  const target = fileURLToPath(uri);
  if (existsSync(target) && (await sha256OfFile(target)) === digest) return { digest, uri, written: false };
  mkdirSync(dirname(target), { recursive: true });
  // Renamed into place whole, so a deploy never reads a half-written jar.
  const partial = `${target}.${process.pid}.partial`;
  try {
    writeFileSync(partial, bytes);
    renameSync(partial, target);
  } finally {
    rmSync(partial, { force: true });
  }
  return { digest, uri, written: true };
}
