import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { jarFetcherJar, JAR_FETCHER_SOURCES } from '../../../activities/runtime/kubernetes/jar-fetcher/location';
import { classesDir, sourceHash } from '../../../activities/sql-inspector/classpath';
import { type Toolchain } from '../../toolchain';
import { writeWorkflowBundle } from '../../bundle-workflows';
import { ensureBuilt, InstallStepFailed, reportStage, say } from '../steps';
import { installDebianBase, mmdebstrapArgs } from './debian-base';
import { flinkHomeListing } from './flink-image';
import { OciLayout, tarDirectory } from './oci-archive';
import { contentTag, referenceString } from './oci';
import { type CachedImage } from './pause';
import {
  APP_DIR, APP_SOURCES, INSPECTOR_CLASSES_DIR, JAR_FETCHER_JAR, keepsModulePath, moduleInputs, type PackageLock, PLANNER_JAR, productionPackages,
  staleBuilds, WORKER_CONTAINER, WORKFLOW_BUNDLE_PATH,
} from './worker-recipe';

const REPO = join(__dirname, '..', '..', '..');
const REPOSITORY = 'localhost/flink-fleet/worker';
const MINIMUM_NODE = [20, 19] as const;

/**
 * The Node.js the image runs is the one running this installer (and the tests): the same binary the
 * fleet is tested with, with nothing to download. Debian bookworm's nodejs is 18, too old; npm's
 * `node` package would fetch yet another build at install time. A Node linked against Debian's
 * libnode would not run on the base, which has glibc and libstdc++ only, so it is refused.
 */
function nodeBinary(): string {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  if (major < MINIMUM_NODE[0] || (major === MINIMUM_NODE[0] && minor < MINIMUM_NODE[1])) {
    throw new InstallStepFailed(`the worker image copies the Node.js running the installer, ${process.versions.node}; it needs ${MINIMUM_NODE.join('.')} or newer`);
  }
  if ((process.config.variables as Readonly<Record<string, unknown>>).node_shared === true) {
    throw new InstallStepFailed(`${process.execPath} is linked against a shared libnode, which the image's base lacks: run the installer with a standalone Node.js (nodejs.org, NodeSource)`);
  }
  return process.execPath;
}

function fileHash(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Every file of the worker's sources, relative to the repository, sorted. */
function appFiles(): string[] {
  const files: string[] = [];
  const walk = (path: string): void => {
    if (statSync(path).isDirectory()) for (const name of readdirSync(path).sort()) walk(join(path, name));
    else files.push(relative(REPO, path));
  };
  for (const source of APP_SOURCES) walk(join(REPO, source));
  return files;
}

function readLock(): PackageLock {
  return JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8')) as PackageLock;
}

function inspectorClasses(tools: Toolchain): string {
  return classesDir({ flinkHome: tools.flinkHome, plannerJar: tools.flinkTablePlannerJar, builds: tools.sqlInspectorBuilds });
}

/**
 * The worker image in the cache: `localhost/flink-fleet/worker:<package version>-<hash>` of the
 * Debian base, the Node binary, the production packages, the sources, Flink's lib/ and the SQL
 * inspector's build, so any change to them is a new tag.
 */
export function workerImage(tools: Toolchain): CachedImage {
  const lock = readLock();
  const packages = productionPackages(lock, (path) => existsSync(join(REPO, path)));
  const inputs = [
    ...mmdebstrapArgs('<output>'), JSON.stringify(WORKER_CONTAINER), `workflow bundle ${WORKFLOW_BUNDLE_PATH}`, `node ${fileHash(nodeBinary())}`,
    ...moduleInputs(lock, packages), ...appFiles().map((file) => `${file} ${fileHash(join(REPO, file))}`),
    ...flinkHomeListing(join(tools.flinkHome, 'lib')), `planner ${statSync(tools.flinkTablePlannerJar).size}`, `sql-inspector ${sourceHash()}`,
    `jar-fetcher ${sourceHash(JAR_FETCHER_SOURCES)}`,
  ];
  const version = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
  const tag = contentTag(version, inputs);
  const dir = join(tools.images, `worker-${tag}`);
  return { reference: referenceString({ repository: REPOSITORY, tag }), archive: join(dir, 'worker.oci.tar'), dir };
}

/** A layer of what `stage` holds under `top`, every file root's: the worker (uid 1000) reads and never writes it. */
async function layerOf(layout: OciLayout, stage: string, top: string): Promise<Awaited<ReturnType<OciLayout['addLayer']>>> {
  const tarFile = `${stage}.tar`;
  tarDirectory(stage, [top], tarFile, 0);
  const layer = await layout.addLayer(tarFile);
  rmSync(tarFile);
  rmSync(stage, { recursive: true, force: true });
  return layer;
}

function stageInspector(tools: Toolchain, stage: string): void {
  const classes = inspectorClasses(tools);
  if (!existsSync(classes)) throw new InstallStepFailed(`no SQL inspector build at ${classes}: run the sql-inspector step first`);
  cpSync(join(tools.flinkHome, 'lib'), join(stage, 'opt', 'flink', 'lib'), { recursive: true });
  mkdirSync(join(stage, 'opt', 'flink', 'opt'));
  copyFileSync(tools.flinkTablePlannerJar, join(stage, PLANNER_JAR));
  cpSync(classes, join(stage, INSPECTOR_CLASSES_DIR), { recursive: true });
  // A Kubernetes worker stops at start without the fetcher: it checks every jar connection's jar.
  const fetcher = jarFetcherJar(tools.jarFetcherBuilds);
  if (!existsSync(fetcher)) throw new InstallStepFailed(`no jar fetcher build at ${fetcher}: run the jar-fetcher step first`);
  copyFileSync(fetcher, join(stage, JAR_FETCHER_JAR));
}

function stageModules(stage: string): void {
  const production = new Set(productionPackages(readLock(), (path) => existsSync(join(REPO, path))));
  const topLevel = [...production].filter((path) => path.split('/node_modules/').length === 1);
  for (const path of topLevel) {
    cpSync(join(REPO, path), join(stage, APP_DIR, path), {
      recursive: true,
      filter: (source) => keepsModulePath(relative(REPO, source).split(sep).join('/'), production),
    });
  }
}

/** The sources, and their workflows bundled now so that no compiler runs in the pod (its hash is the sources' and packages'). */
async function stageApp(stage: string): Promise<void> {
  for (const source of APP_SOURCES) cpSync(join(REPO, source), join(stage, APP_DIR, source), { recursive: true });
  await writeWorkflowBundle(join(stage, WORKFLOW_BUNDLE_PATH));
}

async function buildWorkerImage(tools: Toolchain, image: CachedImage): Promise<void> {
  const base = await installDebianBase(tools);
  const layout = new OciLayout(join(image.dir, 'layout'));
  const stage = (name: string): string => join(image.dir, name);
  const layers = [layout.linkLayer(base.blob, base.layer)];
  const layer = (label: string, work: () => Promise<Awaited<ReturnType<OciLayout['addLayer']>>>) =>
    reportStage('worker image', { label, bytes: { dir: layout.dir } }, work);
  layers.push(await layer('Flink\'s lib/, the planner and the SQL inspector', async () => {
    stageInspector(tools, stage('inspector'));
    return layerOf(layout, stage('inspector'), 'opt');
  }));
  layers.push(await layer('node', async () => {
    mkdirSync(join(stage('node'), 'usr', 'local', 'bin'), { recursive: true });
    copyFileSync(nodeBinary(), join(stage('node'), 'usr', 'local', 'bin', 'node'));
    return layerOf(layout, stage('node'), 'usr');
  }));
  // Packages change less often than sources: a layer of their own is stored once across source changes.
  layers.push(await layer('the production packages', async () => {
    stageModules(stage('modules'));
    return layerOf(layout, stage('modules'), 'app');
  }));
  layers.push(await layer('the sources and their workflow bundle', async () => {
    await stageApp(stage('app'));
    return layerOf(layout, stage('app'), 'app');
  }));
  layout.writeImage({ repository: REPOSITORY, tag: image.reference.slice(REPOSITORY.length + 1) }, WORKER_CONTAINER, layers);
  layout.pack(image.archive, 'worker image');
}

function pruneWorkerImages(images: string, current: string): void {
  const builds = readdirSync(images).filter((name) => name.startsWith('worker-')).map((name) => ({ name, builtAt: statSync(join(images, name)).mtimeMs }));
  for (const name of staleBuilds(builds, current)) rmSync(join(images, name), { recursive: true, force: true });
}

export async function installWorkerImage(tools: Toolchain): Promise<CachedImage> {
  const image = workerImage(tools);
  await ensureBuilt('worker image', image.dir, async () => {
    await buildWorkerImage(tools, image);
    say('worker image', `${image.reference} (${Math.round(statSync(image.archive).size / 1e6)} MB)`);
  });
  pruneWorkerImages(tools.images, relative(tools.images, image.dir));
  return image;
}
