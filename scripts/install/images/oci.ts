import { createHash } from 'node:crypto';

/**
 * The JSON documents of an OCI image (config, manifest, index) and the names we give images. Pure:
 * the archive writer does the I/O, so what an image says about itself is tested in milliseconds.
 */
export const MEDIA_TYPES = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

/** The only platform this machine and its node run; an index entry without one is skipped by `ctr import`. */
export const PLATFORM = { architecture: 'amd64', os: 'linux' } as const;

/** containerd names an imported image by this annotation; the OCI one below carries only the tag. */
const CONTAINERD_IMAGE_NAME = 'io.containerd.image.name';
const OCI_REF_NAME = 'org.opencontainers.image.ref.name';

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly platform?: typeof PLATFORM;
}

/** A layer as the manifest sees it (the gzip blob) and as the config sees it (the tar's own digest). */
export interface Layer {
  readonly blob: Descriptor;
  readonly diffId: string;
}

export interface ContainerSettings {
  readonly entrypoint: readonly string[];
  readonly cmd?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** Numeric, so the kubelet can check `runAsNonRoot` without reading the image's /etc/passwd. */
  readonly user?: string;
  readonly workingDir?: string;
  readonly exposedPorts?: readonly number[];
}

export function sha256Digest(content: Buffer | string): string {
  return `sha256:${createHash('sha256').update(content).digest('hex')}`;
}

/** A JSON document as stored: its exact bytes and the descriptor that points at them. */
export function jsonBlob(mediaType: string, document: unknown): { bytes: Buffer; descriptor: Descriptor } {
  const bytes = Buffer.from(JSON.stringify(document));
  return { bytes, descriptor: { mediaType, digest: sha256Digest(bytes), size: bytes.length } };
}

/**
 * No `created` or history timestamps: the same inputs give the same config, so its digest changes
 * only when the image does.
 */
export function imageConfig(settings: ContainerSettings, layers: readonly Layer[]): unknown {
  const config: Record<string, unknown> = { Entrypoint: [...settings.entrypoint] };
  if (settings.cmd) config.Cmd = [...settings.cmd];
  if (settings.env) config.Env = Object.entries(settings.env).map(([name, value]) => `${name}=${value}`);
  if (settings.user !== undefined) config.User = settings.user;
  if (settings.workingDir !== undefined) config.WorkingDir = settings.workingDir;
  if (settings.exposedPorts) config.ExposedPorts = Object.fromEntries(settings.exposedPorts.map((port) => [`${port}/tcp`, {}]));
  return { ...PLATFORM, config, rootfs: { type: 'layers', diff_ids: layers.map((layer) => layer.diffId) } };
}

export function imageManifest(config: Descriptor, layers: readonly Layer[]): unknown {
  return { schemaVersion: 2, mediaType: MEDIA_TYPES.manifest, config, layers: layers.map((layer) => layer.blob) };
}

export function imageIndex(manifest: Descriptor, reference: ImageReference): unknown {
  const annotations = { [CONTAINERD_IMAGE_NAME]: referenceString(reference), [OCI_REF_NAME]: reference.tag };
  return { schemaVersion: 2, mediaType: MEDIA_TYPES.index, manifests: [{ ...manifest, annotations, platform: PLATFORM }] };
}

export const OCI_LAYOUT = { imageLayoutVersion: '1.0.0' } as const;

export interface ImageReference {
  /** `localhost/...`: a registry that does not exist, so nothing ever tries to pull it from the internet. */
  readonly repository: string;
  readonly tag: string;
}

export function referenceString(reference: ImageReference): string {
  return `${reference.repository}:${reference.tag}`;
}

/**
 * `<version>-<12 hex digits>` of everything the image is made of, so a changed entrypoint, jar or
 * package list is a new tag: a node that already holds the old image never runs it by mistake.
 */
export function contentTag(version: string, inputs: readonly string[]): string {
  const hash = createHash('sha256');
  for (const input of inputs) hash.update(`${Buffer.byteLength(input)}:${input}\n`);
  return `${version}-${hash.digest('hex').slice(0, 12)}`;
}
