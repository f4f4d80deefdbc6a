import { stopProcess } from '../../activities/runtime/local/processes';
import { liveProcesses, type LeakScope, type LiveProcess } from './processes';

export class LeakedProcesses extends Error {
  constructor(readonly leaked: readonly LiveProcess[]) {
    super(`left running: ${leaked.map((p) => `${p.description} (pid ${p.pid})`).join(', ')}`);
    this.name = 'LeakedProcesses';
  }
}

export interface LeakCheckScope {
  /** Whose processes must be gone: a test's (default), a file's or the whole run's. */
  readonly scope?: LeakScope;
  /** Pids that were alive before the test began (started by a `before` hook); not this test's. */
  readonly startedBefore?: ReadonlySet<number>;
}

/**
 * Fails when a tracked process is still alive, and stops it with its whole process group (waiting
 * until no member is left) so that one leak does not spill into the tests that follow.
 */
export async function assertNoLeakedProcesses(check: LeakCheckScope = {}): Promise<void> {
  const leaked = liveProcesses(check.scope ?? 'test').filter((p) => !check.startedBefore?.has(p.pid));
  if (leaked.length === 0) return;
  await Promise.all(leaked.map((p) => stopProcess(p.pid, 2_000)));
  throw new LeakedProcesses(leaked);
}
