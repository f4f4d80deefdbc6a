import {
  ApplicationFailure, CancellationScope, allHandlersFinished, condition, continueAsNew, isCancellation, log, patched, proxyActivities,
  setCurrentDetails, setHandler, upsertSearchAttributes, uuid4, workflowInfo,
} from '@temporalio/workflow';
import type { RetryPolicy } from '@temporalio/common';
import type { createPoolActivities } from '../../activities/pool/activities';
import { FleetKind, FleetTenant } from '../search-attributes';
import {
  claimUpdate, FLEET_TENANT, releaseSignal, resizeUpdate, sessionClusterRef, statsQuery, type ClaimGrant, type ClaimRequest,
  type MaintainIdlePoolInput, type PoolConfig,
} from './api';
import { countClusterCreated, countClusterDeleted } from '../metrics';
import { checkResize, InvalidPoolConfigError, parsePoolConfig } from './config';
import { clearPoolGauges, publishPoolMetrics, type PublishedClaims } from './metrics';
import {
  abandonClaim, emptyPool, grantOf, grantWaiting, markKilled, markReady, markStartFailed, markStarting, poolStats, reconcile, release,
  requestClaim, retire, startsNeeded, surplus, type PoolState,
} from './state';
import { emptyDemand, recordClaim, recordDecision, recordStarted, recordStarting, sizeFor, sizingOf } from './sizing';

type Activities = ReturnType<typeof createPoolActivities>;

const retry: RetryPolicy = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 5 };
const { ensureSessionCluster } = proxyActivities<Activities>({ startToCloseTimeout: '5 minutes', heartbeatTimeout: '30 seconds', retry });
// A TaskManager registers in 3-4 s on an idle machine; on a loaded one it may take a minute.
const { startPoolTaskManager } = proxyActivities<Activities>({ startToCloseTimeout: '3 minutes', heartbeatTimeout: '20 seconds', retry: { ...retry, maximumAttempts: 2 } });
const { killPoolTaskManagers, observePool, deleteSessionCluster, warmUpSessionCluster } = proxyActivities<Activities>({ startToCloseTimeout: '2 minutes', heartbeatTimeout: '20 seconds', retry });

/** Well below Temporal's 50k-event limit, in case the server's suggestion never comes. */
const MAX_HISTORY_EVENTS = 10_000;

interface Pool {
  readonly config: PoolConfig;
  readonly ref: { tenant: string; name: string };
  readonly state: PoolState;
  /** Activities started by the loop and not yet finished; continue-as-new waits for none. */
  inFlight: number;
  readonly killing: Set<string>;
  /** Set by every handler and completion, so the loop acts at once instead of at the next reconcile. */
  poked: boolean;
  readonly publishedClaims: PublishedClaims;
}

function validate(config: unknown): PoolConfig {
  try {
    return parsePoolConfig(config);
  } catch (error) {
    if (error instanceof InvalidPoolConfigError) throw ApplicationFailure.nonRetryable(error.message, 'InvalidPoolConfig');
    throw error;
  }
}

function validateClaim(request: ClaimRequest): void {
  if (typeof request?.claimId !== 'string' || typeof request.previewWorkflowId !== 'string' || !(request.timeoutMs > 0)) {
    throw new Error('claim takes { claimId: string, previewWorkflowId: string, timeoutMs > 0 }');
  }
}

/**
 * Keeps `target` idle single-slot TaskManagers registered with the session cluster's JobManager,
 * hands them to previews (`claim`), kills the ones a preview used (`release`) and replaces them at
 * once, and every `reconcileSeconds` compares its books with the runtime and the JobManager.
 */
export async function maintainIdlePool(input: MaintainIdlePoolInput): Promise<void> {
  const config = validate(input.config);
  const pool: Pool = {
    config, ref: sessionClusterRef(config.sessionCluster), state: withDemand(input.carried ?? emptyPool(config.target), config),
    inFlight: 0, killing: new Set(), poked: true, publishedClaims: { hits: input.carried?.hits ?? 0, misses: input.carried?.misses ?? 0 },
  };
  const poke = (): void => {
    pool.poked = true;
  };
  setHandler(statsQuery, () => statsOf(pool));
  setHandler(claimUpdate, (request) => claim(pool, request), { validator: validateClaim });
  setHandler(releaseSignal, ({ claimId, taskManagerIds }) => {
    release(pool.state, claimId, taskManagerIds);
    poke();
  });
  setHandler(resizeUpdate, (target) => {
    pool.state.target = target;
    poke();
    return statsOf(pool);
  }, { validator: (target) => checkResize(target, config.maxTarget) });
  upsertSearchAttributes([{ key: FleetTenant, value: FLEET_TENANT }, { key: FleetKind, value: 'pool' }]);
  try {
    await ensureSessionCluster({ ...pool.ref, jobManager: config.jobManager, taskManager: config.taskManager });
    // A later run ensures the cluster its first run created.
    if (!input.carried) {
      countClusterCreated(pool.ref.tenant, 'session');
      warmUp(pool);
    }
    // Starts carried over from the previous run: addTaskManager is idempotent per id, so this waits for them.
    for (const id of pool.state.starting) startTaskManager(pool, id);
    await maintain(pool, input);
  } catch (error) {
    if (!isCancellation(error)) throw error;
    // Cancelled: the pool goes, and its session cluster with it.
    await CancellationScope.nonCancellable(() => deleteSessionCluster(pool.ref));
    countClusterDeleted(pool.ref.tenant, 'session');
    clearPoolGauges(config.sessionCluster);
    throw error;
  }
}

/** A self-sizing pool measures its demand from its first claim; a pool that turned it off drops the books. */
function withDemand(state: PoolState, config: PoolConfig): PoolState {
  if (!config.autoSize) return { ...state, demand: undefined };
  return { ...state, demand: state.demand ?? emptyDemand(Date.now()) };
}

function statsOf(pool: Pool): ReturnType<typeof poolStats> {
  const { demand } = pool.state;
  const { autoSize } = pool.config;
  const stats = poolStats(pool.state);
  return demand && autoSize ? { ...stats, sizing: sizingOf(demand, autoSize, Date.now()) } : stats;
}

async function claim(pool: Pool, request: ClaimRequest): Promise<ClaimGrant> {
  const now = Date.now();
  const claimed = requestClaim(pool.state, request, now);
  if (pool.state.demand && pool.config.autoSize) recordClaim(pool.state.demand, now, pool.config.autoSize.windowSeconds * 1000);
  pool.poked = true;
  await condition(() => claimed.grantedAt !== undefined || !pool.state.claims.includes(claimed), request.timeoutMs);
  const grant = grantOf(claimed);
  if (grant) return grant;
  abandonClaim(pool.state, claimed.claimId);
  pool.poked = true;
  throw ApplicationFailure.nonRetryable(`no TaskManager of pool ${pool.config.sessionCluster} became free within ${request.timeoutMs} ms`, 'PoolExhausted');
}

async function maintain(pool: Pool, input: MaintainIdlePoolInput): Promise<never> {
  let reconciles = 0;
  for (;;) {
    act(pool);
    publishPoolMetrics(pool.config.sessionCluster, poolStats(pool.state), pool.publishedClaims);
    const poked = await condition(() => pool.poked, `${pool.config.reconcileSeconds} seconds`);
    pool.poked = false;
    if (poked) continue;
    await reconcileOnce(pool);
    reconciles += 1;
    if (quiet(pool) && shouldContinueAsNew(reconciles, input)) {
      return continueAsNew<typeof maintainIdlePool>({ config: input.config, carried: pool.state, continueAsNewAfterReconciles: input.continueAsNewAfterReconciles });
    }
  }
}

/** Kills what is doomed, grants what it can, starts what is missing; none of it awaited here. */
function act(pool: Pool): void {
  const { state } = pool;
  resizeByDemand(pool);
  retire(state, surplus(state));
  const toKill = state.doomed.filter((id) => !pool.killing.has(id));
  if (toKill.length > 0) killTaskManagers(pool, toKill);
  grantWaiting(state, Date.now());
  const starts = startsNeeded(state, pool.config.maxTaskManagers);
  for (let i = 0; i < starts; i++) {
    const id = `${pool.config.sessionCluster}-tm-${uuid4().slice(0, 8)}`;
    markStarting(state, id);
    if (state.demand) recordStarting(state.demand, id, Date.now());
    startTaskManager(pool, id);
  }
}

/** A self-sizing pool's target follows its claims (workflows/pool/sizing.ts); each change is logged and shown in the UI. */
function resizeByDemand(pool: Pool): void {
  const { state, config } = pool;
  if (!state.demand || !config.autoSize) return;
  const now = Date.now();
  const decision = sizeFor(state.demand, state.target, config.autoSize, config.maxTarget, now);
  if (!decision) return;
  recordDecision(state.demand, decision, now);
  state.target = decision.to;
  log.info('pool resized itself', { pool: config.sessionCluster, ...decision });
  setCurrentDetails([
    `**Self-sizing pool**: ${config.autoSize.minTarget}..${config.maxTarget} idle TaskManagers, headroom ×${config.autoSize.headroom}`,
    'Decisions, newest first:',
    ...state.demand.decisions.map((d) => `- ${d.at}: ${d.from} → ${d.to}, ${d.reason}`).reverse(),
  ].join('\n\n'));
}

/**
 * A fresh SQL Gateway's first statement loads and JIT-compiles the planner for about a second, which
 * the first preview would pay; this pays it beside the first TaskManagers' start. It only saves time:
 * a failure is logged and the pool goes on, since failing the pool over it would refuse every preview
 * to spare one a second.
 */
function warmUp(pool: Pool): void {
  // Pools whose history began before the warm-up existed replay without it.
  if (!patched('warm-up-session-cluster')) return;
  track(pool, warmUpSessionCluster(pool.ref).then(() => undefined, (error: unknown) => {
    // Cancelled with the pool: nothing to report.
    if (isCancellation(error)) return;
    log.warn('the session cluster\'s warm-up failed; its first preview plans on a cold gateway', { pool: pool.config.sessionCluster, error: String(error) });
  }));
}

function track(pool: Pool, work: Promise<void>): void {
  pool.inFlight += 1;
  void work.finally(() => {
    pool.inFlight -= 1;
    pool.poked = true;
  });
}

function startTaskManager(pool: Pool, id: string): void {
  track(pool, startPoolTaskManager({ ...pool.ref, taskManagerId: id }).then(
    () => {
      if (pool.state.demand) recordStarted(pool.state.demand, id, Date.now(), pool.state.starting.includes(id));
      markReady(pool.state, id);
    },
    (error: unknown) => {
      log.warn('pool TaskManager failed to start; it is killed', { pool: pool.config.sessionCluster, taskManager: id, error: String(error) });
      if (pool.state.demand) recordStarted(pool.state.demand, id, Date.now(), false);
      markStartFailed(pool.state, id);
    },
  ));
}

function killTaskManagers(pool: Pool, ids: string[]): void {
  for (const id of ids) pool.killing.add(id);
  track(pool, killPoolTaskManagers({ ...pool.ref, taskManagerIds: ids }).then(
    () => markKilled(pool.state, ids),
    // Left doomed: the next pass tries again.
    () => undefined,
  ).finally(() => {
    for (const id of ids) pool.killing.delete(id);
  }));
}

async function reconcileOnce(pool: Pool): Promise<void> {
  const { state } = pool;
  const observed = await observePool({
    ...pool.ref,
    known: [...state.ready, ...state.starting, ...state.doomed],
    ready: [...state.ready],
    claims: state.claims.map(({ claimId, previewWorkflowId }) => ({ claimId, previewWorkflowId })),
  });
  if (observed.sessionCluster !== 'running' && observed.sessionCluster !== 'degraded') {
    // The JobManager is gone: so is every TaskManager registered with it.
    state.ready = [];
    state.starting = [];
    await deleteSessionCluster(pool.ref);
    countClusterDeleted(pool.ref.tenant, 'session');
    await ensureSessionCluster({ ...pool.ref, jobManager: pool.config.jobManager, taskManager: pool.config.taskManager });
    countClusterCreated(pool.ref.tenant, 'session');
    warmUp(pool);
    return;
  }
  const doomed = reconcile(state, observed);
  if (doomed.dead.length + doomed.orphans.length + doomed.unknown.length > 0) {
    log.warn('pool TaskManagers to kill', { pool: pool.config.sessionCluster, ...doomed });
  }
}

function quiet(pool: Pool): boolean {
  return pool.inFlight === 0 && pool.state.claims.every((c) => c.grantedAt !== undefined) && allHandlersFinished();
}

function shouldContinueAsNew(reconciles: number, input: MaintainIdlePoolInput): boolean {
  const info = workflowInfo();
  return info.continueAsNewSuggested || info.historyLength > MAX_HISTORY_EVENTS
    || (input.continueAsNewAfterReconciles !== undefined && reconciles >= input.continueAsNewAfterReconciles);
}
