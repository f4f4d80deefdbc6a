import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export type VerifiedJar = { readonly path: string } | { readonly missing: true } | { readonly found: string };

/**
 * Copies a jar out of the tenant's artifact area while hashing it, and keeps the copy only when its
 * bytes have `digest`. Flink is then given the copy, never the original: the tenant's own jobs may
 * write their storage, so a file checked where it lies could change between the check and the read.
 * A copy that exists was renamed into place after its check, so a retried deploy keeps it.
 */
export async function verifiedJarCopy(source: string, target: string, digest: string): Promise<VerifiedJar> {
  if (existsSync(target)) return { path: target };
  if (!existsSync(source)) return { missing: true };
  mkdirSync(dirname(target), { recursive: true });
  const partial = `${target}.partial`;
  const hash = createHash('sha256');
  const hashing = new Transform({ transform(chunk: Buffer, _encoding, done) {
    hash.update(chunk);
    done(null, chunk);
  } });
  await pipeline(createReadStream(source), hashing, createWriteStream(partial));
  const found = `sha256:${hash.digest('hex')}`;
  if (found !== digest) {
    rmSync(partial, { force: true });
    return { found };
  }
  renameSync(partial, target);
  return { path: target };
}
