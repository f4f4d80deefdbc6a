import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { FlinkErrorType, classifyFlinkError } from '../../activities/flink/errors';
import { FlinkRestClient } from '../../activities/flink/rest-client';
import { TERMINAL_JOB_STATES } from '../../activities/flink/rest-types';
import { SqlGatewayClient } from '../../activities/flink/sql-gateway-client';
import { waitUntil } from '../../activities/runtime/local/wait';
import { closeSessionSafely, untilNoTaskStarting } from '../harness/gateway-session';
import { sharedFlinkCluster } from '../harness/global';

const NUMBERS = `CREATE TEMPORARY TABLE numbers (n BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '50',
  'fields.n.kind' = 'sequence', 'fields.n.start' = '1', 'fields.n.end' = '1000000')`;
const FIVE_NUMBERS = `CREATE TEMPORARY TABLE five (n BIGINT) WITH ('connector' = 'datagen', 'number-of-rows' = '5',
  'fields.n.kind' = 'sequence', 'fields.n.start' = '1', 'fields.n.end' = '5')`;

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const failure = classifyFlinkError(await promise.then(() => new Error('expected a failure'), (error: unknown) => error));
  assert.ok(failure instanceof ApplicationFailure, String(failure));
  return failure;
}

describe('SqlGatewayClient against the shared session cluster', () => {
  let gateway: SqlGatewayClient;
  let flink: FlinkRestClient;
  let session: string;

  before(async () => {
    const cluster = await sharedFlinkCluster();
    assert.ok(cluster.gatewayUrl);
    gateway = new SqlGatewayClient(cluster.gatewayUrl);
    flink = new FlinkRestClient(cluster.restUrl);
  });

  beforeEach(async () => {
    session = await gateway.openSession({ 'execution.runtime-mode': 'streaming' });
  });

  // Closing the session cancels the jobs of its queries; the shared cluster must be left idle.
  afterEach(() => closeSessionSafely(gateway, flink, session));

  it('returns a BIGINT beyond 2^53 exactly, as its digits', async () => {
    await gateway.executeAndCollect(session, "SET 'execution.runtime-mode' = 'batch'");
    const { columns, rows } = await gateway.executeAndCollect(session,
      'SELECT CAST(9007199254740993 AS BIGINT) AS big, CAST(-9223372036854775808 AS BIGINT) AS lowest, CAST(42 AS BIGINT) AS small');
    assert.deepEqual(columns.map((c) => [c.name, c.type]), [['big', 'BIGINT'], ['lowest', 'BIGINT'], ['small', 'BIGINT']]);
    assert.deepEqual(rows.map((row) => row.fields), [['9007199254740993', '-9223372036854775808', 42]]);
  });

  it('pages through the rows of an unbounded SELECT in order until the signal stops it', async () => {
    await gateway.executeAndCollect(session, NUMBERS);
    const operation = await gateway.executeStatement(session, 'SELECT n FROM numbers');
    const stop = new AbortController();
    const numbers: unknown[] = [];
    for await (const page of gateway.results(session, operation, { signal: stop.signal })) {
      numbers.push(...page.rows.map((row) => row.fields[0]));
      if (numbers.length >= 5) stop.abort();
    }
    assert.deepEqual(numbers.slice(0, 5), [1, 2, 3, 4, 5]);
  });

  it('cancels a streaming query\'s job by closing its operation', async () => {
    await gateway.executeAndCollect(session, NUMBERS);
    const operation = await gateway.executeStatement(session, 'SELECT n FROM numbers');
    let jobId: string | undefined;
    for await (const page of gateway.results(session, operation)) {
      jobId = page.jobId;
      if (jobId) break;
    }
    assert.ok(jobId, 'the result pages name the query\'s job');
    await untilNoTaskStarting(flink);
    await gateway.closeOperation(session, operation);
    const state = await waitUntil('the query job to end', async () => {
      const job = await flink.job(jobId);
      return TERMINAL_JOB_STATES.includes(job.state) ? job.state : undefined;
    }, { timeoutMs: 30_000 });
    assert.equal(state, 'CANCELED');
    await gateway.closeOperation(session, operation);
  });

  it('cannot cancel a streaming query: its operation is FINISHED once the job is submitted', async () => {
    await gateway.executeAndCollect(session, NUMBERS);
    const operation = await gateway.executeStatement(session, 'SELECT n FROM numbers');
    await waitUntil('the query job submitted', async () => ((await gateway.operationStatus(session, operation)) === 'FINISHED' ? true : undefined), { timeoutMs: 30_000 });
    const failure = await failureOf(gateway.cancelOperation(session, operation));
    assert.match(failure.message, /Failed to convert the Operation Status from FINISHED to CANCELED/);
  });

  it('runs a bounded SELECT to the end of its result', async () => {
    await gateway.executeAndCollect(session, FIVE_NUMBERS);
    const result = await gateway.executeAndCollect(session, 'SELECT n FROM five');
    assert.deepEqual(result.columns, [{ name: 'n', type: 'BIGINT', nullable: true }]);
    assert.deepEqual(result.rows, [1, 2, 3, 4, 5].map((n) => ({ kind: 'INSERT', fields: [n] })));
    assert.match(result.jobId ?? '', /^[0-9a-f]{32}$/);
  });

  it('rejects a parse error as InvalidSql with the line and column Flink gives', async () => {
    const failure = await failureOf(gateway.executeAndCollect(session, 'SELECT n\nFORM numbers'));
    assert.equal(failure.type, FlinkErrorType.InvalidSql);
    assert.equal(failure.nonRetryable, true);
    assert.match(failure.message, /^SQL parse failed\. Encountered "numbers" at line 2, column 6\.$/);
    assert.match(JSON.stringify(failure.details), /"line":2,"column":6/);
  });

  it('rejects an unknown table as InvalidSql naming the table', async () => {
    const failure = await failureOf(gateway.executeAndCollect(session, 'SELECT * FROM missing_table'));
    assert.equal(failure.type, FlinkErrorType.InvalidSql);
    assert.match(failure.message, /^SQL validation failed\. From line 1, column 15 to line 1, column 27: Object 'missing_table' not found/);
  });

  it('rejects an unknown connector as InvalidSql listing the connectors that exist', async () => {
    await gateway.executeAndCollect(session, "CREATE TEMPORARY TABLE nowhere (n BIGINT) WITH ('connector' = 'no-such-connector')");
    const failure = await failureOf(gateway.executeAndCollect(session, 'SELECT n FROM nowhere'));
    assert.equal(failure.type, FlinkErrorType.InvalidSql);
    assert.match(failure.message, /Cannot discover a connector using option: 'connector'='no-such-connector'/);
    assert.match(failure.message, /Available connectors: .*datagen/);
    assert.doesNotMatch(failure.message, /\tat /);
  });

  it('treats closing a session that is already closed as done', async () => {
    const other = await gateway.openSession();
    await gateway.closeSession(other);
    await gateway.closeSession(other);
    assert.equal((await failureOf(gateway.executeStatement(other, 'SELECT 1'))).type, FlinkErrorType.SqlSessionNotFound);
  });
});
