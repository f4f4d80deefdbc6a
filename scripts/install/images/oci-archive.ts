import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, linkSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { run } from '../steps';
import {
  type ContainerSettings, type Descriptor, imageConfig, imageIndex, imageManifest, type ImageReference, jsonBlob, type Layer,
  MEDIA_TYPES, OCI_LAYOUT,
} from './oci';

/**
 * Writes an OCI image layout (`oci-layout`, `index.json`, `blobs/sha256/`) and packs it into the tar
 * archive that `ctr images import` reads. No container engine is involved: a layer is a tar made by
 * GNU tar, gzipped here while both digests are taken in the same pass.
 */
export class OciLayout {
  readonly blobs: string;

  constructor(readonly dir: string) {
    this.blobs = join(dir, 'blobs', 'sha256');
    mkdirSync(this.blobs, { recursive: true });
    writeFileSync(join(dir, 'oci-layout'), JSON.stringify(OCI_LAYOUT));
  }

  blobPath(digest: string): string {
    return join(this.blobs, digest.replace(/^sha256:/, ''));
  }

  /** Gzips `tarFile` into a blob; the tar itself is left for the caller to remove. */
  addLayer(tarFile: string): Promise<Layer> {
    return gzipLayer(tarFile, this.blobs);
  }

  /** A layer built earlier (a cached base), hard-linked in rather than copied. */
  linkLayer(blobFile: string, layer: Layer): Layer {
    linkSync(blobFile, this.blobPath(layer.blob.digest));
    return layer;
  }

  addJson(mediaType: string, document: unknown): Descriptor {
    const { bytes, descriptor } = jsonBlob(mediaType, document);
    writeFileSync(this.blobPath(descriptor.digest), bytes);
    return descriptor;
  }

  /** Config, manifest and index for `layers` (bottom first), under the name containerd will give it. */
  writeImage(reference: ImageReference, settings: ContainerSettings, layers: readonly Layer[]): Descriptor {
    const config = this.addJson(MEDIA_TYPES.config, imageConfig(settings, layers));
    const manifest = this.addJson(MEDIA_TYPES.manifest, imageManifest(config, layers));
    writeFileSync(join(this.dir, 'index.json'), JSON.stringify(imageIndex(manifest, reference)));
    return manifest;
  }

  /** The archive `ctr -n k8s.io images import` takes; the layout folder is removed after. `reportAs` names the component a progress line is for. */
  pack(archive: string, reportAs?: string): void {
    run('tar', ['--create', '--format=gnu', '--file', archive, '--directory', this.dir, 'oci-layout', 'index.json', 'blobs'], {
      ...(reportAs ? { progress: { component: reportAs, label: `packing ${archive}`, bytes: { dir: archive } } } : {}),
    });
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function hashing(hash: ReturnType<typeof createHash>): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
}

async function gzipLayer(tarFile: string, blobs: string): Promise<Layer> {
  const tarHash = createHash('sha256');
  const gzipHash = createHash('sha256');
  const partial = join(blobs, `.partial-${process.pid}`);
  let size = 0;
  const counting = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      done(null, chunk);
    },
  });
  await pipeline(createReadStream(tarFile), hashing(tarHash), createGzip(), hashing(gzipHash), counting, createWriteStream(partial));
  const digest = `sha256:${gzipHash.digest('hex')}`;
  renameSync(partial, join(blobs, digest.replace(/^sha256:/, '')));
  return { blob: { mediaType: MEDIA_TYPES.layer, digest, size }, diffId: `sha256:${tarHash.digest('hex')}` };
}

/**
 * A layer tar of `paths` under `dir`, the same bytes for the same files: sorted names, numeric ids,
 * every time the epoch. `owner` makes every entry owned by that uid:gid (the image's Flink user).
 */
export function tarDirectory(dir: string, paths: readonly string[], tarFile: string, owner?: number): void {
  const ownership = owner === undefined ? [] : [`--owner=${owner}`, `--group=${owner}`];
  run('tar', ['--create', '--format=gnu', '--sort=name', '--numeric-owner', '--mtime=@0', ...ownership, '--file', tarFile, '--directory', dir, ...paths]);
}
