import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isRunning } from './processes';

/**
 * The local runtime keeps no registry in memory: a cluster is its folder under the state directory,
 * so a restarted worker finds every cluster (and its live pids) where the last one left it.
 *
 *   <state>/clusters/<cluster>/cluster.json   what was asked for, and the ports it was given
 *   <state>/clusters/<cluster>/{conf,log,pids,run,tmp,job}
 *   <state>/storage/<tenant>/<cluster>/{checkpoints,savepoints}   outlives the cluster, like a bucket would
 *
 * Storage is per tenant first, so one prefix (`storageRoot/<tenant>/`) holds all a tenant may read.
 */
export interface ClusterRecord {
  readonly tenant: string;
  readonly name: string;
  readonly cluster: string;
  readonly kind: 'application' | 'session';
  readonly createdAt: string;
  readonly ports: { readonly rest: number; readonly rpc: number; readonly gateway?: number };
}

export interface ClusterLayout {
  readonly dir: string;
  readonly record: string;
  readonly conf: string;
  readonly jobDir: string;
}

/** The layout with the cluster's storage folder, which only the tenant (not the folder name) locates. */
export interface TenantClusterLayout extends ClusterLayout {
  readonly storage: string;
}

export function clusterLayout(stateDir: string, cluster: string): ClusterLayout {
  const dir = join(stateDir, 'clusters', cluster);
  return {
    dir,
    record: join(dir, 'cluster.json'),
    conf: join(dir, 'conf'),
    jobDir: join(dir, 'job'),
  };
}

/** The folder the `file://` storage URIs of this runtime point into. */
export function storageRoot(stateDir: string): string {
  return join(stateDir, 'storage');
}

/** Checkpoints and savepoints of one cluster: inside its tenant's folder, and outliving the cluster. */
export function clusterStorageDir(stateDir: string, tenant: string, cluster: string): string {
  return join(storageRoot(stateDir), tenant, cluster);
}

export function readRecord(layout: ClusterLayout): ClusterRecord | undefined {
  if (!existsSync(layout.record)) return undefined;
  return JSON.parse(readFileSync(layout.record, 'utf8')) as ClusterRecord;
}

export function writeRecord(layout: ClusterLayout, record: ClusterRecord): void {
  mkdirSync(layout.dir, { recursive: true });
  writeFileSync(layout.record, `${JSON.stringify(record, null, 2)}\n`);
}

export function listRecords(stateDir: string): ClusterRecord[] {
  const root = join(stateDir, 'clusters');
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .map((cluster) => readRecord(clusterLayout(stateDir, cluster)))
    .filter((record): record is ClusterRecord => record !== undefined);
}

const STALE_LOCK_MS = 120_000;

/** A lock whose worker process died (SIGKILL, OOM) is stale at once; one without an owner, after a while. */
function lockIsStale(lock: string): boolean {
  try {
    const [pid, since] = readFileSync(join(lock, 'owner'), 'utf8').trim().split(' ').map(Number);
    return (pid !== undefined && !isRunning(pid)) || Date.now() - (since ?? Date.now()) > STALE_LOCK_MS;
  } catch {
    // Taken, but its owner was not written yet (or never will be): judge by the folder's age.
    return existsSync(lock) && Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS;
  }
}

/**
 * Serialises deploy/delete of one cluster across activities and worker processes (a retry can race
 * the attempt it replaces). mkdir is atomic; the owner file says which process holds it since when.
 */
export async function withClusterLock<T>(stateDir: string, cluster: string, action: () => Promise<T>): Promise<T> {
  const locks = join(stateDir, 'locks');
  mkdirSync(locks, { recursive: true });
  const lock = join(locks, cluster);
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'owner'), `${process.pid} ${Date.now()}\n`);
      break;
    } catch {
      if (lockIsStale(lock)) rmSync(lock, { recursive: true, force: true });
      else await sleep(100);
    }
  }
  try {
    return await action();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
