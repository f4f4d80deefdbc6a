import type { PoolObservation } from '../../workflows/pool/state';

export interface PoolSighting {
  /** Every TaskManager in the pool's books (ready, starting, doomed). */
  readonly known: readonly string[];
  readonly ready: readonly string[];
  /** Pool TaskManagers whose process (or pod) the runtime reports alive. */
  readonly alive: readonly string[];
  /** TaskManagers of preview jobs whose workflow has ended. */
  readonly orphaned: readonly string[];
  readonly goneClaims: readonly string[];
}

/**
 * Only a live process can be killed, so only the runtime's live processes are judged, never the
 * JobManager's list: it keeps a TaskManager until its heartbeat times out, and a cancelled preview job
 * keeps naming its TaskManagers while it cancels. Judged from those, a TaskManager the pool has just
 * killed and forgotten came back as unknown or orphaned, and was killed (and counted) a second time.
 */
export function poolObservation(seen: PoolSighting): PoolObservation {
  const alive = new Set(seen.alive);
  const unknown = [...alive].filter((id) => !seen.known.includes(id));
  const orphans = [...new Set(seen.orphaned)].filter((id) => alive.has(id));
  return { checked: seen.ready, alive: seen.alive, unknown, orphans, goneClaims: seen.goneClaims };
}
