import { stopProcess } from '../../activities/runtime/local/processes';
import { liveProcesses, type LiveProcess } from './processes';

export class LeakedProcesses extends Error {
  constructor(readonly leaked: readonly LiveProcess[]) {
    super(`left running: ${leaked.map((p) => `${p.description} (pid ${p.pid})`).join(', ')}`);
    this.name = 'LeakedProcesses';
  }
}

export interface LeakCheckScope {
  /** Pids that were alive before the test began (started by a `before` hook); not this test's. */
  readonly startedBefore?: ReadonlySet<number>;
  /** At the end of the run the shared clusters must be gone too. */
  readonly includeRunWide?: boolean;
}

/**
 * Fails when a tracked process is still alive, and kills it so that one leak does not spill into the
 * tests that follow.
 */
export async function assertNoLeakedProcesses(scope: LeakCheckScope = {}): Promise<void> {
  const leaked = liveProcesses({ includeRunWide: scope.includeRunWide ?? false })
    .filter((p) => !scope.startedBefore?.has(p.pid));
  if (leaked.length === 0) return;
  await Promise.all(leaked.map((p) => stopProcess(p.pid, 2_000)));
  throw new LeakedProcesses(leaked);
}
