import { Context } from '@temporalio/activity';
import type { SqlGatewayClient } from '../flink/sql-gateway-client';
import { withHeartbeat } from '../heartbeat';

/**
 * What a preview's first statements make the SQL Gateway do (a datagen table, a streaming SELECT
 * planned), without a job: EXPLAIN plans and optimises but submits nothing, so no TaskManager is
 * used; JSON_EXECUTION_PLAN also translates the plan into a stream graph (operator code generation),
 * as a submission would. Run once on a fresh gateway, it loads those classes and warms the JIT, which
 * the first preview otherwise pays for (about a second).
 */
const WARM_UP_STATEMENTS = [
  "CREATE TEMPORARY TABLE fleet_warm_up (n BIGINT, s STRING) WITH ('connector' = 'datagen', 'rows-per-second' = '1')",
  'EXPLAIN JSON_EXECUTION_PLAN SELECT n, UPPER(s) FROM fleet_warm_up WHERE n > 0',
] as const;

/** The session options a preview opens its session with, so the warm-up takes the same planner paths. */
const SESSION_PROPERTIES = { 'execution.runtime-mode': 'streaming', 'parallelism.default': '1', 'pipeline.name': 'fleet/warm-up' };

export interface WarmUpOutcome {
  /** The gateway session the warm-up opened and closed. */
  readonly session: string;
}

/**
 * Opens a session, runs the warm-up statements and closes the session, whatever happened. The
 * session is kept in the heartbeat as soon as it exists: a retry after a worker crash closes the
 * one the crashed attempt left open, so nothing outlives the warm-up.
 */
export async function warmUpGateway(gateway: SqlGatewayClient): Promise<WarmUpOutcome> {
  const context = Context.current();
  const previous = context.info.heartbeatDetails as string | undefined;
  if (previous) await gateway.closeSession(previous);
  let session: string | undefined;
  return withHeartbeat(async () => {
    session = await gateway.openSession(SESSION_PROPERTIES, 'fleet-warm-up');
    context.heartbeat(session);
    try {
      for (const statement of WARM_UP_STATEMENTS) await gateway.executeAndCollect(session, statement);
    } finally {
      await gateway.closeSession(session);
    }
    return { session };
  }, () => session);
}
