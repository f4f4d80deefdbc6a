import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Toolchain } from '../../toolchain';
import { ensureBuilt, InstallStepFailed, MissingPrerequisite, run } from '../steps';
import { OciLayout } from './oci-archive';
import { contentTag, type Layer } from './oci';

/** The user the official Flink image runs as; the manifests' `runAsUser` says the same number. */
export const FLINK_USER_ID = 9999;

/**
 * What the Flink image's base is made of. Java 17 from Debian (Flink 2.x needs 11+; the official
 * image uses 17), jemalloc and envsubst because the entrypoint contract includes them.
 */
export const DEBIAN_BASE = {
  suite: 'bookworm',
  packages: ['openjdk-17-jre-headless', 'bash', 'ca-certificates', 'gettext-base', 'libjemalloc2', 'libsnappy1v5', 'netbase'],
} as const;

/**
 * `mmdebstrap` arguments for the base layer: a tar of the root file system, owned as it will be in
 * the container, without device nodes (the runtime makes /dev) and without man pages, docs (but
 * their copyright files) and translations.
 */
export function mmdebstrapArgs(outputTar: string): string[] {
  const flink = FLINK_USER_ID;
  const customize = [
    `echo 'flink:x:${flink}:${flink}:Flink:/opt/flink:/usr/sbin/nologin' >> "$1/etc/passwd"`,
    `echo 'flink:x:${flink}:' >> "$1/etc/group"`,
    `echo 'flink:!:::::::' >> "$1/etc/shadow"`,
  ];
  return [
    '--variant=minbase', '--mode=root', '--format=tar', '--skip=output/dev', '--quiet',
    `--include=${DEBIAN_BASE.packages.join(',')}`,
    '--dpkgopt=path-exclude=/usr/share/man/*', '--dpkgopt=path-exclude=/usr/share/locale/*',
    '--dpkgopt=path-exclude=/usr/share/doc/*', '--dpkgopt=path-include=/usr/share/doc/*/copyright',
    // OpenJDK's postinst registers its man pages with update-alternatives, which fails without this folder.
    '--setup-hook=mkdir -p "$1/usr/share/man/man1"',
    ...customize.map((hook) => `--customize-hook=${hook}`),
    DEBIAN_BASE.suite, outputTar,
  ];
}

export interface CachedLayer {
  readonly dir: string;
  readonly blob: string;
  readonly layer: Layer;
}

/** The base layer, cached on its own: a new entrypoint or jar rebuilds only the layers above it. */
export function debianBaseLayer(tools: Toolchain): { dir: string; blob: string; descriptor: string } {
  const tag = contentTag(DEBIAN_BASE.suite, mmdebstrapArgs('<output>'));
  const dir = join(tools.images, `debian-base-${tag}`);
  return { dir, blob: join(dir, 'layer.tar.gz'), descriptor: join(dir, 'layer.json') };
}

/** mmdebstrap comes from Debian; like Chromium, the installer fetches it with apt-get when it may. */
export function ensureMmdebstrap(): void {
  if (spawnSync('mmdebstrap', ['--version'], { stdio: 'ignore' }).status === 0) return;
  if (process.getuid?.() !== 0 || spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status !== 0) {
    throw new MissingPrerequisite('mmdebstrap', 'install Debian\'s mmdebstrap package (as root: apt-get install mmdebstrap); the Flink image\'s base is built with it');
  }
  run('apt-get', ['update', '-qq'], { progress: { component: 'flink image', label: 'apt-get update' } });
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'mmdebstrap'], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    progress: { component: 'flink image', label: 'installing Debian\'s mmdebstrap package with apt-get' },
  });
}

export async function installDebianBase(tools: Toolchain): Promise<CachedLayer> {
  const base = debianBaseLayer(tools);
  await ensureBuilt('flink image base', base.dir, async (dir) => {
    ensureMmdebstrap();
    if (process.getuid?.() !== 0) {
      throw new MissingPrerequisite('root', 'the Flink image\'s Debian base is built with mmdebstrap in root mode: run the installer as root');
    }
    const tarFile = join(dir, 'rootfs.tar');
    run('mmdebstrap', mmdebstrapArgs(tarFile), {
      progress: { component: 'flink image base', label: `mmdebstrap ${DEBIAN_BASE.suite} with ${DEBIAN_BASE.packages.join(', ')}`, estimateSeconds: 45, bytes: { dir } },
    });
    const layout = new OciLayout(join(dir, 'layout'));
    const layer = await layout.addLayer(tarFile);
    rmSync(tarFile);
    // Moved out of the throwaway layout: the Flink image links this file into its own.
    renameSync(layout.blobPath(layer.blob.digest), base.blob);
    rmSync(layout.dir, { recursive: true });
    writeFileSync(base.descriptor, JSON.stringify(layer));
  });
  if (!existsSync(base.descriptor)) throw new InstallStepFailed(`${base.descriptor} is missing: remove ${base.dir} to rebuild it`);
  return { dir: base.dir, blob: base.blob, layer: JSON.parse(readFileSync(base.descriptor, 'utf8')) as Layer };
}
