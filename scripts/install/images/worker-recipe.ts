import { posix } from 'node:path';
import { WORKER_PROCESS_ENV } from '../../../worker/process-env';
import { VERSIONS } from '../../toolchain';
import type { ContainerSettings } from './oci';

/**
 * What the worker image is made of, as data: which packages of package-lock.json it carries, what
 * it runs and with which environment. Pure, so the recipe is tested in milliseconds; the build is
 * worker-image.ts.
 */

/** The folders and files of the repository the worker runs from (as deploy/Dockerfile copies them). */
export const APP_SOURCES = ['package.json', 'tsconfig.json', 'activities', 'client', 'scripts', 'worker', 'workflows'] as const;

export const APP_DIR = '/app';
/** The workflows bundled when the image is built (scripts/bundle-workflows.ts); the chart's workflowBundle value. */
export const WORKFLOW_BUNDLE_PATH = `${APP_DIR}/dist/workflow-bundle.js`;
const FLINK_DIR = '/opt/flink';
export const INSPECTOR_CLASSES_DIR = '/opt/flink-fleet/sql-inspector/classes';
/** The jar fetcher a Kubernetes worker hands each jar connection's JobManager pod (deploy/Dockerfile's path too). */
export const JAR_FETCHER_JAR = '/opt/flink-fleet/jar-fetcher.jar';
export const PLANNER_JAR = `${FLINK_DIR}/opt/flink-table-planner_2.12-${VERSIONS.flink}.jar`;
/** deploy/worker.yaml's and the chart's runAsUser: the official node image's unprivileged user. */
export const WORKER_USER_ID = 1000;
/** Debian's OpenJDK 17, which the Flink image's base already holds: the SQL inspector's JVM. */
const JAVA_HOME = '/usr/lib/jvm/java-17-openjdk-amd64';

export const WORKER_CONTAINER: ContainerSettings = {
  entrypoint: ['/usr/local/bin/node', '--require', 'tsx/cjs', 'worker/main.ts'],
  env: {
    PATH: `/usr/local/bin:${JAVA_HOME}/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
    JAVA_HOME,
    NODE_ENV: 'production',
    // uid 1000 has no passwd entry and the root file system is read-only: tsx's cache and the JVM's
    // perf data go to the pod's /tmp volume.
    HOME: '/tmp',
    FLINK_HOME: FLINK_DIR,
    FLEET_FLINK_TABLE_PLANNER_JAR: PLANNER_JAR,
    FLEET_SQL_INSPECTOR_CLASSES: INSPECTOR_CLASSES_DIR,
    FLEET_JAR_FETCHER: JAR_FETCHER_JAR,
    ...WORKER_PROCESS_ENV,
  },
  user: `${WORKER_USER_ID}:${WORKER_USER_ID}`,
  workingDir: APP_DIR,
};

interface LockEntry {
  readonly version?: string;
  readonly integrity?: string;
  readonly dev?: boolean;
  readonly optional?: boolean;
  readonly devOptional?: boolean;
  readonly link?: boolean;
}

/** package-lock.json (lockfileVersion 2 or 3) as far as the image reads it. */
export interface PackageLock {
  readonly packages: Readonly<Record<string, LockEntry>>;
}

/**
 * The installed folders (`node_modules/a`, `node_modules/a/node_modules/b`) of every package that
 * `npm ci --omit=dev` would install: not dev-only, and, for optional ones (esbuild's and swc's
 * per-platform binaries), only those npm installed here. Sorted, so the tag is stable.
 */
export function productionPackages(lock: PackageLock, installed: (path: string) => boolean): string[] {
  return Object.entries(lock.packages)
    .filter(([path, entry]) => path.startsWith('node_modules/') && entry.dev !== true && entry.link !== true)
    .filter(([path, entry]) => (entry.optional !== true && entry.devOptional !== true) || installed(path))
    .map(([path]) => path)
    .sort();
}

/** The platform whose native Temporal core the image keeps (PLATFORM in oci.ts): the others are 110 MB of nothing. */
const CORE_BRIDGE_RELEASES = 'node_modules/@temporalio/core-bridge/releases';
const CORE_BRIDGE_PLATFORM = 'x86_64-unknown-linux-gnu';

/**
 * Whether `path` (relative to the repository, under node_modules/) belongs in the image: a package
 * folder nested in a production package is copied only if it is itself a production package, and
 * npm's `.bin` links are left out (nothing runs them).
 */
export function keepsModulePath(path: string, production: ReadonlySet<string>): boolean {
  const parts = path.split(posix.sep);
  const name = parts.at(-1) ?? '';
  if (name === '.bin') return false;
  if (posix.dirname(path) === CORE_BRIDGE_RELEASES) return name === CORE_BRIDGE_PLATFORM;
  const parent = parts.at(-2);
  const isPackageFolder = parent === 'node_modules' ? !name.startsWith('@') : parent?.startsWith('@') === true && parts.at(-3) === 'node_modules';
  return !isPackageFolder || production.has(path);
}

/** The lines the tag hashes for the modules: each production package by path, version and integrity. */
export function moduleInputs(lock: PackageLock, packages: readonly string[]): string[] {
  return packages.map((path) => `${path}@${lock.packages[path]?.version ?? '?'} ${lock.packages[path]?.integrity ?? ''}`);
}

/** Builds kept besides the current one: a checkout switched back and forth need not rebuild. */
const KEPT_OLDER_BUILDS = 2;

/**
 * The worker image folders to delete: each source change makes a new one of about 500 MB, so all
 * but the current and the `keep` most recently built others go. Pure.
 */
export function staleBuilds(builds: readonly { name: string; builtAt: number }[], current: string, keep = KEPT_OLDER_BUILDS): string[] {
  return builds.filter((b) => b.name !== current).sort((a, b) => b.builtAt - a.builtAt).slice(keep).map((b) => b.name);
}
