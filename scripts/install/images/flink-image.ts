import { copyFileSync, cpSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { VERSIONS, type Toolchain } from '../../toolchain';
import { mavenJar } from '../flink';
import { ensureBuilt, reportStage, run, say } from '../steps';
import { type CachedImage } from './pause';
import { FLINK_USER_ID, installDebianBase, mmdebstrapArgs } from './debian-base';
import { OciLayout, tarDirectory } from './oci-archive';
import { type ContainerSettings, contentTag, referenceString } from './oci';

const ENTRYPOINT = join(__dirname, '..', '..', '..', 'images', 'flink', 'docker-entrypoint.sh');
const REPOSITORY = 'localhost/flink-fleet/flink';
const FLINK_DIR = '/opt/flink';
/** The Flink jars the image adds to the installer's FLINK_HOME, each as `<artifactId>` of Flink's own version. */
export const S3_PLUGIN = { artifactId: 'flink-s3-fs-hadoop', pluginDir: 's3-fs-hadoop' } as const;

/** What the official image's Dockerfile sets, so the same manifests and habits work on both. */
export const FLINK_CONTAINER: ContainerSettings = {
  entrypoint: ['/docker-entrypoint.sh'],
  cmd: ['help'],
  env: {
    FLINK_HOME: FLINK_DIR,
    PATH: `${FLINK_DIR}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
    JAVA_HOME: '/usr/lib/jvm/java-17-openjdk-amd64',
    LANG: 'C.UTF-8',
  },
  user: `${FLINK_USER_ID}:${FLINK_USER_ID}`,
  workingDir: FLINK_DIR,
  exposedPorts: [6123, 8081],
};

/**
 * The official image's edits to the distribution's config.yaml, with Flink's own parser: listen on
 * the container's interfaces rather than its loopback, and let a TaskManager find its own address.
 */
const CONFIG_EDITS = [
  '-repKV', 'rest.address,localhost,0.0.0.0', '-repKV', 'rest.bind-address,localhost,0.0.0.0',
  '-repKV', 'jobmanager.bind-host,localhost,0.0.0.0', '-repKV', 'taskmanager.bind-host,localhost,0.0.0.0',
  '-rmKV', 'taskmanager.host=localhost',
];

/** Every file of FLINK_HOME by path and size: a jar added, removed or replaced changes the tag. */
export function flinkHomeListing(flinkHome: string): string[] {
  const entries: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const stats = statSync(path);
      if (stats.isDirectory()) walk(path);
      else if (!name.startsWith('.flink-fleet')) entries.push(`${relative(flinkHome, path)} ${stats.size}`);
    }
  };
  walk(flinkHome);
  return entries;
}

/**
 * Folders the image adds to FLINK_HOME. No usrlib: when it exists, standalone application mode looks
 * for the entry class only in the jars inside it, so a SQL pipeline (SqlDriver lives in lib/) would
 * fail with "No JAR with manifest attribute for entry class" (seen on the real node).
 */
const CREATED_DIRS = ['artifacts', 'log', join('plugins', S3_PLUGIN.pluginDir)];

/** Everything the image is made of, in the order the tag hashes it. */
export function flinkImageInputs(entrypoint: string, flinkHomeFiles: readonly string[]): string[] {
  return [
    ...mmdebstrapArgs('<output>'), entrypoint, JSON.stringify(FLINK_CONTAINER), CONFIG_EDITS.join(' '),
    `${S3_PLUGIN.artifactId}:${VERSIONS.flink} in plugins/${S3_PLUGIN.pluginDir}`, `created ${CREATED_DIRS.join(' ')}`, ...flinkHomeFiles,
  ];
}

/**
 * The Flink image in the cache: reference `localhost/flink-fleet/flink:<flink version>-<hash>` and
 * the archive to import. Needs the installer's FLINK_HOME, whose file list is part of the tag.
 */
export function flinkImage(tools: Toolchain): CachedImage {
  const inputs = flinkImageInputs(readFileSync(ENTRYPOINT, 'utf8'), flinkHomeListing(tools.flinkHome));
  const tag = contentTag(VERSIONS.flink, inputs);
  const dir = join(tools.images, `flink-${tag}`);
  return { reference: referenceString({ repository: REPOSITORY, tag }), archive: join(dir, 'flink.oci.tar'), dir };
}

/** /opt/flink: the installer's FLINK_HOME, the S3 plugin (enabled, and in opt/ as the official image has it), the official config edits. */
function stageFlinkHome(tools: Toolchain, stage: string): void {
  const home = join(stage, 'opt', 'flink');
  cpSync(tools.flinkHome, home, { recursive: true, filter: (source) => !source.endsWith('.flink-fleet-complete') });
  for (const dir of CREATED_DIRS) mkdirSync(join(home, dir), { recursive: true });
  const jarName = `${S3_PLUGIN.artifactId}-${VERSIONS.flink}.jar`;
  copyFileSync(mavenJar(tools, S3_PLUGIN.artifactId, 'flink image'), join(home, 'opt', jarName));
  // A hard link is stored once in the layer.
  linkSync(join(home, 'opt', jarName), join(home, 'plugins', S3_PLUGIN.pluginDir, jarName));
  run('bash', [join(home, 'bin', 'config-parser-utils.sh'), join(home, 'conf'), join(home, 'bin'), join(home, 'lib'), ...CONFIG_EDITS]);
}

async function buildFlinkImage(tools: Toolchain, image: CachedImage): Promise<void> {
  const base = await installDebianBase(tools);
  const layout = new OciLayout(join(image.dir, 'layout'));
  const stage = join(image.dir, 'stage');
  const flinkTar = join(image.dir, 'flink.tar');
  stageFlinkHome(tools, stage);
  tarDirectory(stage, ['opt/flink'], flinkTar, FLINK_USER_ID);
  const entrypointStage = join(image.dir, 'entrypoint');
  const entrypointTar = join(image.dir, 'entrypoint.tar');
  mkdirSync(entrypointStage);
  copyFileSync(ENTRYPOINT, join(entrypointStage, 'docker-entrypoint.sh'));
  run('chmod', ['0755', join(entrypointStage, 'docker-entrypoint.sh')]);
  tarDirectory(entrypointStage, ['docker-entrypoint.sh'], entrypointTar, 0);
  const layers = await reportStage('flink image', { label: 'compressing the layers', bytes: { dir: layout.dir } }, async () =>
    [layout.linkLayer(base.blob, base.layer), await layout.addLayer(flinkTar), await layout.addLayer(entrypointTar)]);
  const tag = image.reference.slice(REPOSITORY.length + 1);
  layout.writeImage({ repository: REPOSITORY, tag }, FLINK_CONTAINER, layers);
  layout.pack(image.archive, 'flink image');
  for (const leftover of [stage, entrypointStage, flinkTar, entrypointTar]) rmSync(leftover, { recursive: true, force: true });
}

export async function installFlinkImage(tools: Toolchain): Promise<CachedImage> {
  const image = flinkImage(tools);
  await ensureBuilt('flink image', image.dir, async () => {
    await buildFlinkImage(tools, image);
    say('flink image', `${image.reference} (${Math.round(statSync(image.archive).size / 1e6)} MB)`);
  });
  return image;
}
