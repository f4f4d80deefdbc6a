import { metricMeter } from '@temporalio/workflow';
import { FLEET_METRICS } from '../metric-names';
import type { PoolStats } from './api';

/** The hit and miss totals already added to the counters by this run. */
export interface PublishedClaims {
  hits: number;
  misses: number;
}

/**
 * What to add to the claim counters: the totals grew by this much since the last publication. The
 * totals live in the pool's state (and carry across continue-as-new), the counters in the worker's
 * process, so a run starts from the carried totals and adds only what it saw happen.
 */
export function claimIncrements(published: PublishedClaims, stats: Pick<PoolStats, 'hits' | 'misses'>): PublishedClaims {
  return { hits: Math.max(0, stats.hits - published.hits), misses: Math.max(0, stats.misses - published.misses) };
}

/**
 * The pool's gauges are its state, set after every pass of its loop. A replay sets nothing (the
 * workflow meter drops it), so a worker that takes the pool over reports it from its first live pass,
 * and continue-as-new changes nothing (the new run carries the state and publishes it at once).
 * A worker that lost the pool from its cache keeps its last values until it exits: read these with
 * `max by (pool)`, over the workers that report them.
 */
export function publishPoolMetrics(pool: string, stats: PoolStats, published: PublishedClaims): void {
  const tags = { pool };
  metricMeter.createGauge(FLEET_METRICS.poolIdle).set(stats.idle, tags);
  metricMeter.createGauge(FLEET_METRICS.poolBusy).set(stats.busy, tags);
  metricMeter.createGauge(FLEET_METRICS.poolTarget).set(stats.target, tags);
  const add = claimIncrements(published, stats);
  // Added even when zero: the series exist from the pool's first pass, so rate() sees the first claim.
  metricMeter.createCounter(FLEET_METRICS.poolClaimHits).add(add.hits, tags);
  metricMeter.createCounter(FLEET_METRICS.poolClaimMisses).add(add.misses, tags);
  published.hits += add.hits;
  published.misses += add.misses;
}

/** A stopped pool's gauges would otherwise show its last state for as long as the worker runs. */
export function clearPoolGauges(pool: string): void {
  for (const name of [FLEET_METRICS.poolIdle, FLEET_METRICS.poolBusy, FLEET_METRICS.poolTarget]) metricMeter.createGauge(name).set(0, { pool });
}
