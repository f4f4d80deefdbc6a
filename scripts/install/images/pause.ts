import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Toolchain } from '../../toolchain';
import { ensureBuilt, requireCommand, run } from '../steps';
import { OciLayout, tarDirectory } from './oci-archive';
import { contentTag, referenceString } from './oci';

const SOURCE = join(__dirname, '..', '..', '..', 'images', 'pause', 'pause.c');
const CFLAGS = ['-static', '-Os', '-s', '-Wall', '-Wextra', '-Werror'];
const REPOSITORY = 'localhost/flink-fleet/pause';
/** The `nobody`-like id Kubernetes' own pause image runs as: it needs no privilege at all. */
const PAUSE_USER = '65535:65535';

/** An image built into the cache: what to import (`ctr -n k8s.io images import <archive>`) and its name once imported. */
export interface CachedImage {
  readonly reference: string;
  readonly archive: string;
  readonly dir: string;
}

/**
 * The sandbox image containerd's `sandbox_image` names. Its tag is a hash of the C source and the
 * compiler flags, so the reference is known without building and changes when the binary would.
 */
export function pauseImage(tools: Toolchain): CachedImage {
  const tag = contentTag('1', [readFileSync(SOURCE, 'utf8'), CFLAGS.join(' ')]);
  const dir = join(tools.images, `pause-${tag}`);
  return { reference: referenceString({ repository: REPOSITORY, tag }), archive: join(dir, 'pause.oci.tar'), dir };
}

async function buildPauseImage(image: CachedImage, tag: string): Promise<void> {
  requireCommand('gcc', ['--version'], 'install gcc and the static C library (Debian: apt-get install gcc libc6-dev)');
  const rootfs = join(image.dir, 'rootfs');
  mkdirSync(rootfs);
  run('gcc', [...CFLAGS, '-o', join(rootfs, 'pause'), SOURCE]);
  const tarFile = join(image.dir, 'layer.tar');
  tarDirectory(rootfs, ['pause'], tarFile);
  const layout = new OciLayout(join(image.dir, 'layout'));
  const layer = await layout.addLayer(tarFile);
  layout.writeImage({ repository: REPOSITORY, tag }, { entrypoint: ['/pause'], user: PAUSE_USER }, [layer]);
  layout.pack(image.archive, 'pause image');
  rmSync(rootfs, { recursive: true });
  rmSync(tarFile);
}

export async function installPauseImage(tools: Toolchain): Promise<CachedImage> {
  const image = pauseImage(tools);
  const tag = image.reference.slice(REPOSITORY.length + 1);
  await ensureBuilt('pause image', image.dir, () => buildPauseImage(image, tag));
  return image;
}
