import type { ClaimGrant, PoolStats } from './api';
import { percentile } from './percentile';
import type { PoolDemand } from './sizing';

/**
 * The pool's books, as pure functions over plain data (carried across continue-as-new as is).
 *
 * A claim reserves capacity, not a particular TaskManager: Flink's scheduler gives a job any free
 * slot, so with several idle TaskManagers a preview's job may land on another one than we would
 * have picked. Each TaskManager has one slot and each granted claim runs at most one job, so
 * `ready - granted` is the number of TaskManagers no job can be using: the idle ones. The preview
 * tells the pool which TaskManagers its job actually ran on (the JobManager knows), and exactly
 * those are killed and replaced.
 */
export interface PoolClaim {
  readonly claimId: string;
  readonly previewWorkflowId: string;
  readonly requestedAt: number;
  grantedAt?: number;
  hit?: boolean;
}

export interface PoolState {
  target: number;
  /** Registered with the JobManager. */
  ready: string[];
  /** Asked of the runtime, not yet registered. */
  starting: string[];
  /** To be killed: used by a preview, dead, orphaned or unknown. */
  doomed: string[];
  claims: PoolClaim[];
  hits: number;
  misses: number;
  killed: number;
  /** The most recent claim waits, for the percentiles. */
  claimWaits: number[];
  /** What a self-sizing pool measures; absent from pools that do not size themselves. */
  demand?: PoolDemand;
}

export type CarriedPoolState = PoolState;

const CLAIM_WAITS_KEPT = 200;

export function emptyPool(target: number): PoolState {
  return { target, ready: [], starting: [], doomed: [], claims: [], hits: 0, misses: 0, killed: 0, claimWaits: [] };
}

function granted(state: PoolState): PoolClaim[] {
  return state.claims.filter((c) => c.grantedAt !== undefined);
}

function waiting(state: PoolState): PoolClaim[] {
  return state.claims.filter((c) => c.grantedAt === undefined);
}

export function idleCount(state: PoolState): number {
  return Math.max(0, state.ready.length - granted(state).length);
}

export function grantOf(claim: PoolClaim): ClaimGrant | undefined {
  if (claim.grantedAt === undefined) return undefined;
  return { claimId: claim.claimId, hit: claim.hit ?? false, waitMs: claim.grantedAt - claim.requestedAt };
}

function grant(state: PoolState, claim: PoolClaim, now: number, hit: boolean): void {
  claim.grantedAt = now;
  claim.hit = hit;
  if (hit) state.hits += 1;
  else state.misses += 1;
  state.claimWaits = [...state.claimWaits, now - claim.requestedAt].slice(-CLAIM_WAITS_KEPT);
}

/** Records a claim; grants it at once (a hit) when a TaskManager is idle. Idempotent per claim id. */
export function requestClaim(state: PoolState, request: { claimId: string; previewWorkflowId: string }, now: number): PoolClaim {
  const existing = state.claims.find((c) => c.claimId === request.claimId);
  if (existing) return existing;
  const claim: PoolClaim = { ...request, requestedAt: now };
  const hit = idleCount(state) > 0 && waiting(state).length === 0;
  state.claims.push(claim);
  if (hit) grant(state, claim, now, true);
  return claim;
}

/** Grants waiting claims, oldest first, while TaskManagers are idle: these are misses. */
export function grantWaiting(state: PoolState, now: number): void {
  for (const claim of waiting(state)) {
    if (idleCount(state) === 0) return;
    grant(state, claim, now, false);
  }
}

/** A waiting claim that ran out of time gives up its place. */
export function abandonClaim(state: PoolState, claimId: string): void {
  state.claims = state.claims.filter((c) => c.claimId !== claimId);
}

/** Takes TaskManagers out of the pool's books and marks them for killing. */
export function retire(state: PoolState, ids: readonly string[]): void {
  const fresh = ids.filter((id) => !state.doomed.includes(id));
  state.ready = state.ready.filter((id) => !ids.includes(id));
  state.starting = state.starting.filter((id) => !ids.includes(id));
  state.doomed.push(...fresh);
}

/**
 * The preview ended: its claim goes and the TaskManagers its job ran on are doomed, if still in the
 * books. The preview kills them itself before it tells the pool, so a reconcile in between may have
 * found one dead and had it killed and counted already: dooming it again counted it twice. One the
 * books do not hold but that still lives is found by the next reconcile as unknown.
 */
export function release(state: PoolState, claimId: string, usedTaskManagers: readonly string[]): void {
  abandonClaim(state, claimId);
  retire(state, usedTaskManagers.filter((id) => state.ready.includes(id) || state.starting.includes(id)));
}

/** How many TaskManagers to start now: enough for the target idle, every granted and every waiting claim. */
export function startsNeeded(state: PoolState, maxTaskManagers: number): number {
  const wanted = state.target + state.claims.length;
  const have = state.ready.length + state.starting.length;
  return Math.max(0, Math.min(wanted - have, maxTaskManagers - have));
}

/**
 * Dooms idle TaskManagers beyond the target (after a resize down), newest first. Only when no claim
 * is granted: then no job can be running on any of them, so none is killed under a preview.
 */
export function surplus(state: PoolState): string[] {
  if (granted(state).length > 0) return [];
  const extra = state.ready.length - state.target - waiting(state).length;
  return extra > 0 ? state.ready.slice(-extra) : [];
}

export function markStarting(state: PoolState, id: string): void {
  state.starting.push(id);
}

export function markReady(state: PoolState, id: string): void {
  if (!state.starting.includes(id)) return;
  state.starting = state.starting.filter((s) => s !== id);
  state.ready.push(id);
}

/** A start that failed for good: whatever the runtime made of it is killed. */
export function markStartFailed(state: PoolState, id: string): void {
  retire(state, [id]);
}

export function markKilled(state: PoolState, ids: readonly string[]): void {
  state.doomed = state.doomed.filter((id) => !ids.includes(id));
  state.killed += ids.length;
}

/** What the runtime and the JobManager reported at one reconcile. */
export interface PoolObservation {
  /** The ready TaskManagers when the observation began: only those can be judged dead by it. */
  readonly checked: readonly string[];
  /** Pool TaskManagers whose process (or pod) is alive. */
  readonly alive: readonly string[];
  /** TaskManagers the runtime or the JobManager knows and the pool's books do not. */
  readonly unknown: readonly string[];
  /** TaskManagers running a job of a preview that is no longer running. */
  readonly orphans: readonly string[];
  /** Claims whose preview is no longer running: no release will come. */
  readonly goneClaims: readonly string[];
}

/** What one reconcile doomed, by reason: for the log, since each is a TaskManager killed. */
export interface Reconciled {
  readonly dead: readonly string[];
  readonly orphans: readonly string[];
  readonly unknown: readonly string[];
}

export function reconcile(state: PoolState, observed: PoolObservation): Reconciled {
  const dead = state.ready.filter((id) => observed.checked.includes(id) && !observed.alive.includes(id));
  state.claims = state.claims.filter((c) => !observed.goneClaims.includes(c.claimId));
  retire(state, [...dead, ...observed.orphans, ...observed.unknown]);
  return { dead, orphans: observed.orphans, unknown: observed.unknown };
}

export function poolStats(state: PoolState): PoolStats {
  return {
    target: state.target,
    idle: idleCount(state),
    starting: state.starting.length,
    busy: granted(state).length,
    waiting: waiting(state).length,
    hits: state.hits,
    misses: state.misses,
    claimWaitP50Ms: percentile(state.claimWaits, 50),
    claimWaitP95Ms: percentile(state.claimWaits, 95),
    readyTaskManagers: [...state.ready],
    killed: state.killed,
  };
}
