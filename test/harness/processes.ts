import { isRunning } from '../../activities/runtime/local/processes';

/**
 * Every process a test starts is registered here; after each test the leak check fails if one of
 * them is still alive, so a test cannot quietly leave a JVM behind for the next one. Run-wide
 * processes (the shared clusters) are exempt until the end of the run.
 */
interface TrackedProcess {
  readonly description: string;
  runWide: boolean;
}

const tracked = new Map<number, TrackedProcess>();

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

export interface LiveProcess {
  readonly pid: number;
  readonly description: string;
}

/** Tracked processes that are still alive; run-wide ones only when asked for. */
export function liveProcesses(options: { includeRunWide: boolean }): LiveProcess[] {
  const live: LiveProcess[] = [];
  for (const [pid, entry] of tracked) {
    if (!isRunning(pid)) tracked.delete(pid);
    else if (options.includeRunWide || !entry.runWide) live.push({ pid, description: entry.description });
  }
  return live;
}
