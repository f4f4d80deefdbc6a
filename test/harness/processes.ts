import { readdirSync, readFileSync } from 'node:fs';
import { isRunning } from '../../activities/runtime/local/processes';

/**
 * What the leak check looks at: processes registered by the harness (servers, control plane, worker
 * processes), and every Flink JVM on the machine whose FLINK_CONF_DIR lies under a watched folder,
 * which catches the ones started by a runtime, a worker subprocess or Flink itself without any
 * registration.
 *
 * Each process or folder lives for a scope: a test's own (the default), a file's (a pool shared by
 * the tests of one file), or the run's (the shared Flink cluster, Temporal, Kubernetes). The check at
 * the end of a scope looks at everything of that scope and of the narrower ones.
 */
export type LeakScope = 'test' | 'file' | 'run';

const WIDTH: Record<LeakScope, number> = { test: 0, file: 1, run: 2 };

const tracked = new Map<number, { readonly description: string; scope: LeakScope }>();
const watchedRoots = new Set<string>();
const scopedDirs = new Map<string, LeakScope>();

export function trackProcess(pid: number, description: string, scope: LeakScope = 'test'): void {
  tracked.set(pid, { description, scope });
}

export function untrackProcess(pid: number): void {
  tracked.delete(pid);
}

export function watchFlinkProcessesUnder(root: string): void {
  watchedRoots.add(root);
}

/** Flink processes under `dir` live as long as `scope`: what a shared cluster's folder is marked with. */
export function scopeDir(dir: string, scope: Exclude<LeakScope, 'test'>): void {
  scopedDirs.set(dir, scope);
}

/** At the end of a file its file-wide folders and processes are judged like a test's. */
export function endFileScope(): void {
  for (const [dir, scope] of scopedDirs) if (scope === 'file') scopedDirs.delete(dir);
  for (const entry of tracked.values()) if (entry.scope === 'file') entry.scope = 'test';
}

export interface LiveProcess {
  readonly pid: number;
  readonly description: string;
}

function flinkConfDir(pid: number): string | undefined {
  try {
    const entry = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').find((e) => e.startsWith('FLINK_CONF_DIR='));
    return entry?.slice('FLINK_CONF_DIR='.length);
  } catch {
    return undefined;
  }
}

function dirScope(conf: string): LeakScope {
  for (const [dir, scope] of scopedDirs) if (conf.startsWith(`${dir}/`)) return scope;
  return 'test';
}

function watchedFlinkProcesses(): (LiveProcess & { scope: LeakScope })[] {
  if (watchedRoots.size === 0) return [];
  const live: (LiveProcess & { scope: LeakScope })[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid || !isRunning(pid)) continue;
    const conf = flinkConfDir(pid);
    if (conf === undefined || ![...watchedRoots].some((root) => conf.startsWith(`${root}/`))) continue;
    live.push({ pid, description: `flink process with FLINK_CONF_DIR=${conf}`, scope: dirScope(conf) });
  }
  return live;
}

/** Live processes that must be gone at the end of `scope`: those of that scope and narrower ones. */
export function liveProcesses(scope: LeakScope): LiveProcess[] {
  const live: LiveProcess[] = [];
  for (const [pid, entry] of tracked) {
    if (!isRunning(pid)) tracked.delete(pid);
    else if (WIDTH[entry.scope] <= WIDTH[scope]) live.push({ pid, description: entry.description });
  }
  const seen = new Set(live.map((p) => p.pid));
  const flink = watchedFlinkProcesses().filter((p) => !seen.has(p.pid) && WIDTH[p.scope] <= WIDTH[scope]);
  return [...live, ...flink.map(({ pid, description }) => ({ pid, description }))];
}
