import { readdirSync, readFileSync } from 'node:fs';
import { isRunning } from '../../activities/runtime/local/processes';

/**
 * What the leak check looks at: processes registered by the harness (servers, control plane), and
 * every Flink JVM on the machine whose FLINK_CONF_DIR lies under a watched folder, which catches the
 * ones started by a runtime, a worker subprocess or Flink itself without any registration.
 * Run-wide processes and folders (the shared clusters) are exempt until the end of the run.
 */
interface TrackedProcess {
  readonly description: string;
  runWide: boolean;
}

const tracked = new Map<number, TrackedProcess>();
const watchedRoots = new Set<string>();
const runWideDirs = new Set<string>();

export function trackProcess(pid: number, description: string): void {
  tracked.set(pid, { description, runWide: false });
}

export function markRunWide(pid: number): void {
  const entry = tracked.get(pid);
  if (entry) entry.runWide = true;
}

export function untrackProcess(pid: number): void {
  tracked.delete(pid);
}

export function watchFlinkProcessesUnder(root: string): void {
  watchedRoots.add(root);
}

export function markRunWideDir(dir: string): void {
  runWideDirs.add(dir);
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

function watchedFlinkProcesses(includeRunWide: boolean): LiveProcess[] {
  if (watchedRoots.size === 0) return [];
  const live: LiveProcess[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid || !isRunning(pid)) continue;
    const conf = flinkConfDir(pid);
    if (conf === undefined || ![...watchedRoots].some((root) => conf.startsWith(`${root}/`))) continue;
    if (!includeRunWide && [...runWideDirs].some((dir) => conf.startsWith(`${dir}/`))) continue;
    live.push({ pid, description: `flink process with FLINK_CONF_DIR=${conf}` });
  }
  return live;
}

/** Live processes the leak check cares about; run-wide ones only when asked for. */
export function liveProcesses(options: { includeRunWide: boolean }): LiveProcess[] {
  const live: LiveProcess[] = [];
  for (const [pid, entry] of tracked) {
    if (!isRunning(pid)) tracked.delete(pid);
    else if (options.includeRunWide || !entry.runWide) live.push({ pid, description: entry.description });
  }
  const seen = new Set(live.map((p) => p.pid));
  return [...live, ...watchedFlinkProcesses(options.includeRunWide).filter((p) => !seen.has(p.pid))];
}
