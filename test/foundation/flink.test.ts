import assert from 'node:assert/strict';
import { readdirSync, readlinkSync } from 'node:fs';
import { FlinkRestClient } from '../../activities/flink/rest-client';
import { SqlGatewayClient } from '../../activities/flink/sql-gateway-client';
import { FLINK_NICENESS, listPids, statFields } from '../../activities/runtime/local/processes';
import { waitUntil } from '../../activities/runtime/local/wait';
import { startFlinkCluster } from '../harness/flink';
import { sharedFlinkCluster } from '../harness/global';
import { assertCompilesWithC1Only } from '../harness/jvm-threads';
import { readEachEntry } from '../harness/proc';

/**
 * The niceness (proc(5)'s field 19) of every thread of `pid`, leaving out a thread that ended between
 * listing the threads and reading its stat (a JVM starts and ends threads all the time).
 */
function threadNiceness(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).flatMap((tid) => {
    const fields = statFields(pid, Number(tid));
    return fields ? [Number(fields[16])] : [];
  });
}

describe('a real Flink cluster started by the harness', () => {
  it('reports its TaskManagers and slots on /overview', async () => {
    const cluster = await startFlinkCluster({ taskManagers: 3 });
    try {
      const overview = (await (await fetch(`${cluster.restUrl}/overview`)).json()) as Record<string, unknown>;
      assert.equal(overview.taskmanagers, 3);
      assert.equal(overview['slots-total'], 3);
      assert.equal(overview['flink-version'], '2.3.0');
    } finally {
      await cluster.stop();
    }
  });

  it('streams rows of a datagen SELECT through the SQL Gateway', async () => {
    const { gatewayUrl, restUrl } = await sharedFlinkCluster();
    assert.ok(gatewayUrl);
    const gateway = new SqlGatewayClient(gatewayUrl);
    const session = await gateway.openSession();
    const rows: unknown[] = [];
    try {
      await gateway.executeAndCollect(session, `CREATE TEMPORARY TABLE numbers (n BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '50', 'fields.n.kind' = 'sequence', 'fields.n.start' = '1', 'fields.n.end' = '1000000')`);
      const operation = await gateway.executeStatement(session, 'SELECT n FROM numbers');
      for await (const page of gateway.results(session, operation, { signal: AbortSignal.timeout(60_000) })) {
        rows.push(...page.rows.map((row) => row.fields[0]));
        if (rows.length >= 5) break;
      }
      // Closing a streaming SELECT's operation (not cancelling: it is FINISHED once submitted) cancels its job.
      await gateway.closeOperation(session, operation);
    } finally {
      await gateway.closeSession(session);
    }
    const flink = new FlinkRestClient(restUrl);
    await waitUntil('the preview job to end', async () => ((await flink.jobs()).every((job) => job.state !== 'RUNNING') ? true : undefined), { timeoutMs: 30_000 });
    assert.deepEqual(rows.slice(0, 3), [1, 2, 3]);
  });

  it('runs every thread of its JVMs below the control plane, at the data plane\'s niceness', async () => {
    const cluster = await sharedFlinkCluster();
    const pids = cluster.pids();
    assert.equal(pids.length, 4, 'a JobManager, a SQL Gateway and two TaskManagers');
    for (const pid of pids) {
      const niceness = threadNiceness(pid);
      assert.ok(niceness.length > 10, `${pid} is a JVM with its threads`);
      assert.deepEqual([...new Set(niceness)], [FLINK_NICENESS], `niceness of the ${niceness.length} threads of ${pid}`);
    }
    assert.deepEqual([...new Set(threadNiceness(process.pid))], [0], 'the control plane (this process) keeps the default');
  });

  it('compiles with C1 only: its JVMs run C1 compiler threads and no C2 one', async () => {
    const cluster = await sharedFlinkCluster();
    for (const pid of cluster.pids()) assertCompilesWithC1Only(pid);
  });

  it('keeps its JVMs\' temporary files in its own folder: the planner jar the SQL Gateway unpacks is there, not in /tmp', async () => {
    const cluster = await sharedFlinkCluster();
    const gateway = listPids(cluster.dir).get('sql-gateway');
    const planners = readEachEntry(`/proc/${gateway}/fd`, (fd) => readlinkSync(`/proc/${gateway}/fd/${fd}`)).filter((path) => /flink-table-planner_[^/]*\.jar$/.test(path));
    assert.ok(planners.length > 0, 'the gateway holds an unpacked planner jar open');
    assert.deepEqual(planners.filter((path) => !path.startsWith(`${cluster.dir}/tmp/`)), []);
  });
});
