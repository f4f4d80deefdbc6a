import type { PoolAutoSize, PoolSizing } from './api';
import { percentile } from './percentile';

/**
 * A pool that sizes itself: the idle target follows the claims it sees. Pure, over plain data carried
 * across continue-as-new.
 *
 * Every claimed TaskManager is killed after its preview and replaced, so the claims that arrive while
 * a replacement starts are served by the TaskManagers idle at that moment (Little's law): the pool
 * needs `claim rate × TaskManager start time` idle, times a headroom for bursts. It raises its target
 * at once, since a miss costs a user a TaskManager start, and lowers it only after `quietSeconds`
 * without a raise, since an idle TaskManager costs memory, not a user's time.
 */
export interface PoolDemand {
  /** When recent claims were asked for (ms), oldest first, within the window. */
  claims: number[];
  /** When each starting TaskManager was asked for. */
  startedAt: Record<string, number>;
  /** How long recent TaskManagers took from asked for to registered (ms). */
  startMs: number[];
  /** When the target was last raised, or the pool began: it holds for `quietSeconds` after either. */
  lastRaiseAt: number;
  /** The most recent decisions, oldest first. */
  decisions: PoolSizingDecision[];
}

export interface PoolSizingDecision {
  readonly at: string;
  readonly from: number;
  readonly to: number;
  readonly reason: string;
}

/** Before any TaskManager of this pool has started: about what one takes on a loaded 2-core machine. */
export const ASSUMED_START_MS = 5_000;
const START_TIMES_KEPT = 20;
const DECISIONS_KEPT = 10;

export function emptyDemand(now: number): PoolDemand {
  return { claims: [], startedAt: {}, startMs: [], decisions: [], lastRaiseAt: now };
}

/**
 * The most idle TaskManagers a host can keep starting in time, for a pool's `maxTarget`: every start
 * and every preview's job take CPU from the same cores, so past one TaskManager per core the starts
 * only slow each other down, and the claims outrun them (a burst on 2 cores sized its pool to 8 and
 * its TaskManagers took tens of seconds to start). At least 1.
 */
export function hostMaxTarget(cores: number, taskManagerCpu: number): number {
  return Math.max(1, Math.floor(cores / taskManagerCpu));
}

/** The claims asked for within the last `windowMs`. */
function claimsWithin(demand: PoolDemand, now: number, windowMs: number): number[] {
  return demand.claims.filter((t) => t > now - windowMs);
}

export function recordClaim(demand: PoolDemand, now: number, windowMs: number): void {
  demand.claims = [...claimsWithin(demand, now, windowMs), now];
}

export function recordStarting(demand: PoolDemand, id: string, now: number): void {
  demand.startedAt[id] = now;
}

/** A TaskManager registered (or gave up): its start time counts only when it registered. */
export function recordStarted(demand: PoolDemand, id: string, now: number, registered: boolean): void {
  const { [id]: since, ...others } = demand.startedAt;
  demand.startedAt = others;
  if (registered && since !== undefined) demand.startMs = [...demand.startMs, now - since].slice(-START_TIMES_KEPT);
}

/**
 * The claim rate per ms over the window. A burst younger than two starts counts over two starts, not
 * over its few ms: n claims at once then ask for about n idle TaskManagers, and one claim alone for no
 * more than the one that served it.
 */
function claimRate(claims: readonly number[], now: number, startMs: number): number {
  if (claims.length === 0) return 0;
  const span = Math.max(now - (claims[0] as number), 2 * startMs);
  return claims.length / span;
}

/**
 * The target the pool should have now, or undefined to keep its own. `maxTarget` is the pool's
 * ceiling (what `resize` may ask for), `autoSize.minTarget` its floor.
 */
export function sizeFor(demand: PoolDemand, target: number, autoSize: PoolAutoSize, maxTarget: number, now: number): PoolSizingDecision | undefined {
  const claims = claimsWithin(demand, now, autoSize.windowSeconds * 1000);
  const startMs = percentile(demand.startMs, 50) ?? ASSUMED_START_MS;
  const rate = claimRate(claims, now, startMs);
  const wanted = Math.ceil(rate * startMs * autoSize.headroom);
  const desired = Math.min(maxTarget, Math.max(autoSize.minTarget, wanted));
  const at = new Date(now).toISOString();
  const seen = `${claims.length} claims in the last ${autoSize.windowSeconds} s (${(rate * 60_000).toFixed(1)}/min), a TaskManager starts in ${(startMs / 1000).toFixed(1)} s`;
  if (desired > target) {
    const capped = wanted > maxTarget ? `, capped at maxTarget ${maxTarget}` : '';
    return { at, from: target, to: desired, reason: `${seen}: ${desired} idle keep up with ×${autoSize.headroom} headroom${capped}` };
  }
  if (desired < target && now - demand.lastRaiseAt >= autoSize.quietSeconds * 1000) {
    const floor = wanted < autoSize.minTarget ? `, floor minTarget ${autoSize.minTarget}` : '';
    return { at, from: target, to: desired, reason: `${seen}: no raise for ${autoSize.quietSeconds} s, ${desired} idle suffice${floor}` };
  }
  return undefined;
}

/** Applies a decision to the demand's books (the caller sets the target). */
export function recordDecision(demand: PoolDemand, decision: PoolSizingDecision, now: number): void {
  demand.decisions = [...demand.decisions, decision].slice(-DECISIONS_KEPT);
  if (decision.to > decision.from) demand.lastRaiseAt = now;
}

export function sizingOf(demand: PoolDemand, autoSize: PoolAutoSize, now: number): PoolSizing {
  return {
    ...autoSize, claimsInWindow: claimsWithin(demand, now, autoSize.windowSeconds * 1000).length, taskManagerStartP50Ms: percentile(demand.startMs, 50), decisions: demand.decisions,
  };
}
