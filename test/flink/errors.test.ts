import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import {
  FLINK_RETRY_POLICY, FlinkErrorType, FlinkRequestError, FlinkResponseInvalid, FlinkUnreachable, classifyFlinkError, isAlreadyTerminal,
  isDuplicateSubmission, parseErrorBody, parseJavaTrace, rootCause, sqlErrorMessage,
} from '../../activities/flink/errors';

/** Error bodies as Flink 2.3 writes them (frames shortened): each string one Java stack trace. */
const frames = '\tat org.apache.flink.Some.method(Some.java:1)\n\tat java.base/java.lang.Thread.run(Thread.java:840)';
const serverSide = (trace: string): string[] => ['Internal server error.', `<Exception on server side:\n${trace}\n\nEnd of exception on server side>`];
const chain = (...causes: string[]): string => causes.map((c, i) => `${i === 0 ? '' : 'Caused by: '}${c}\n${frames}`).join('\n');

const PARSE_ERROR = serverSide(chain(
  'org.apache.flink.table.gateway.api.utils.SqlGatewayException: Failed to fetchResults.',
  'org.apache.flink.table.api.SqlParserException: SQL parse failed. Encountered "FORM" at line 1, column 10.\nWas expecting one of:\n    <EOF> \n    "FROM" ...\n',
  'org.apache.calcite.sql.parser.SqlParseException: Encountered "FORM" at line 1, column 10.\nWas expecting one of:\n    <EOF> \n',
));
const UNKNOWN_TABLE = serverSide(chain(
  'org.apache.flink.table.gateway.service.utils.SqlExecutionException: Failed to execute the operation 93fa.',
  "org.apache.flink.table.api.ValidationException: SQL validation failed. From line 1, column 15 to line 1, column 27: Object 'missing_table' not found",
  "org.apache.calcite.runtime.CalciteContextException: From line 1, column 15 to line 1, column 27: Object 'missing_table' not found",
  "org.apache.calcite.sql.validate.SqlValidatorException: Object 'missing_table' not found",
));
const UNKNOWN_CONNECTOR = serverSide(chain(
  "org.apache.flink.table.api.ValidationException: Unable to create a source for reading table 'default_catalog.default_database.t'.\n\nTable options are:\n\n'connector'='nope'",
  "org.apache.flink.table.api.ValidationException: Cannot discover a connector using option: 'connector'='nope'",
  "org.apache.flink.table.api.ValidationException: Could not find any factory for identifier 'nope' that implements 'org.apache.flink.table.factories.DynamicTableFactory' in the classpath.\n\nAvailable factory identifiers are:\n\nblackhole\ndatagen\nprint",
));
const JOB_FAILED = serverSide(chain(
  'org.apache.flink.table.gateway.service.utils.SqlExecutionException: Error while retrieving result.',
  'org.apache.flink.runtime.client.JobExecutionException: Job execution failed.',
  'org.apache.flink.runtime.JobException: Recovery is suppressed by NoRestartBackoffTimeStrategy',
  "java.lang.NumberFormatException: For input string: '5b7'. Invalid character found.",
));
const MISSING_ENTRY_CLASS = serverSide(chain(
  "java.util.concurrent.CompletionException: org.apache.flink.client.program.ProgramInvocationException: The program's entry point class 'org.nope.Missing' was not found in the jar file.",
  "org.apache.flink.client.program.ProgramInvocationException: The program's entry point class 'org.nope.Missing' was not found in the jar file.",
  'java.lang.ClassNotFoundException: org.nope.Missing',
));
const DUPLICATE_JOB = [chain(
  'org.apache.flink.runtime.rest.handler.RestHandlerException: Could not execute application.',
  "org.apache.flink.client.program.ProgramInvocationException: The main method caused an error: Failed to execute job 'WordCount'.",
  'org.apache.flink.runtime.client.DuplicateApplicationSubmissionException: Application has already been submitted.',
)];

function requestError(status: number, errors: string[], url = 'http://127.0.0.1:8081/v2/sessions/s/operations/o/result/0'): FlinkRequestError {
  return new FlinkRequestError('GET', url, status, parseErrorBody(errors));
}

function classified(error: unknown): ApplicationFailure {
  const failure = classifyFlinkError(error);
  assert.ok(failure instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(failure)}`);
  return failure;
}

function assertNonRetryable(error: unknown, type: string): ApplicationFailure {
  const failure = classified(error);
  assert.deepEqual({ type: failure.type, nonRetryable: failure.nonRetryable }, { type, nonRetryable: true });
  return failure;
}

function assertRetryable(error: unknown): ApplicationFailure {
  const failure = classified(error);
  assert.deepEqual({ type: failure.type, nonRetryable: failure.nonRetryable }, { type: FlinkErrorType.Unavailable, nonRetryable: false });
  return failure;
}

describe('reading Flink error bodies', () => {
  it('keeps the class and message of every exception in a chain and drops the frames', () => {
    const causes = parseJavaTrace(chain('java.lang.RuntimeException: outer', 'java.io.IOException: inner\nsecond line'));
    assert.deepEqual(causes, [
      { className: 'java.lang.RuntimeException', message: 'outer' },
      { className: 'java.io.IOException', message: 'inner\nsecond line' },
    ]);
  });

  it('skips the "Internal server error." filler and the server-side wrapper of a 500 body', () => {
    const causes = parseErrorBody(serverSide('org.apache.flink.SomeException: what happened'));
    assert.deepEqual(causes, [{ className: 'org.apache.flink.SomeException', message: 'what happened' }]);
  });

  it('keeps a body that is a plain message rather than a stack trace', () => {
    assert.deepEqual(parseErrorBody(['Unable to load requested file /nonexistent.']), [{ className: '', message: 'Unable to load requested file /nonexistent.' }]);
  });

  it('names the root cause by its simple class name and first line', () => {
    assert.equal(rootCause(parseErrorBody(JOB_FAILED)), "NumberFormatException: For input string: '5b7'. Invalid character found.");
  });
});

describe('messages for bad SQL', () => {
  it('gives a parse error as Flink words it, with the line and column, without the expected-token list', () => {
    assert.equal(sqlErrorMessage(parseErrorBody(PARSE_ERROR)), 'SQL parse failed. Encountered "FORM" at line 1, column 10.');
  });

  it('gives an unknown table once, not again for each Calcite exception that repeats it', () => {
    assert.equal(sqlErrorMessage(parseErrorBody(UNKNOWN_TABLE)),
      "SQL validation failed. From line 1, column 15 to line 1, column 27: Object 'missing_table' not found.");
  });

  it('names an unknown connector and lists the connectors that exist', () => {
    const message = sqlErrorMessage(parseErrorBody(UNKNOWN_CONNECTOR)) ?? '';
    assert.match(message, /^Unable to create a source for reading table 'default_catalog.default_database.t'\. Cannot discover a connector using option: 'connector'='nope'\./);
    assert.match(message, /Available connectors: blackhole, datagen, print\.$/);
  });

  it('finds no SQL message in an error that is not about SQL', () => {
    assert.equal(sqlErrorMessage(parseErrorBody(MISSING_ENTRY_CLASS)), undefined);
  });
});

describe('classifyFlinkError', () => {
  it('makes bad SQL non-retryable InvalidSql by its body, although the gateway answers 500', () => {
    const failure = assertNonRetryable(requestError(500, PARSE_ERROR), FlinkErrorType.InvalidSql);
    assert.equal(failure.message, 'SQL parse failed. Encountered "FORM" at line 1, column 10.');
    assert.deepEqual(failure.details?.[0], { method: 'GET', url: 'http://127.0.0.1:8081/v2/sessions/s/operations/o/result/0', status: 500, line: 1, column: 10 });
  });

  it('makes an unknown connector non-retryable InvalidSql', () => {
    assertNonRetryable(requestError(500, UNKNOWN_CONNECTOR), FlinkErrorType.InvalidSql);
  });

  it('makes a job that failed while a query ran FlinkJobFailed with its root cause', () => {
    const failure = assertNonRetryable(requestError(500, JOB_FAILED), FlinkErrorType.JobFailed);
    assert.equal(failure.message, "NumberFormatException: For input string: '5b7'. Invalid character found.");
  });

  it('makes a missing entry class InvalidJar with Flink\'s sentence about it', () => {
    const failure = assertNonRetryable(requestError(500, MISSING_ENTRY_CLASS), FlinkErrorType.InvalidJar);
    assert.equal(failure.message, "The program's entry point class 'org.nope.Missing' was not found in the jar file.");
  });

  it('makes a 404 about a job JobNotFound', () => {
    const body = [chain('org.apache.flink.runtime.rest.NotFoundException: Job ffffffffffffffffffffffffffffffff not found')];
    assertNonRetryable(requestError(404, body, 'http://127.0.0.1:8081/jobs/ffffffffffffffffffffffffffffffff'), FlinkErrorType.JobNotFound);
  });

  it('makes an unknown TaskManager TaskManagerNotFound, although Flink answers 500', () => {
    const body = serverSide(chain('org.apache.flink.runtime.resourcemanager.exceptions.UnknownTaskExecutorException: No TaskExecutor registered under nope.'));
    assertNonRetryable(requestError(500, body), FlinkErrorType.TaskManagerNotFound);
  });

  it('makes a gateway session that does not exist SqlSessionNotFound', () => {
    const body = serverSide(chain("org.apache.flink.table.gateway.api.utils.SqlGatewayException: Session '0000' does not exist."));
    assertNonRetryable(requestError(500, body), FlinkErrorType.SqlSessionNotFound);
  });

  for (const status of [500, 502, 503, 409, 429, 408]) {
    it(`retries a ${status} whose body names no user mistake`, () => {
      const failure = assertRetryable(requestError(status, serverSide(chain('java.lang.IllegalStateException: busy'))));
      assert.match(failure.message, new RegExp(`answered ${status}: IllegalStateException: busy`));
    });
  }

  it('does not retry another 4xx', () => {
    assertNonRetryable(requestError(400, [chain('org.apache.flink.runtime.rest.handler.RestHandlerException: Bad request')]), FlinkErrorType.BadRequest);
  });

  it('does not retry a 404 that is not about a job', () => {
    assertNonRetryable(requestError(404, ['Unable to load requested file /nonexistent.']), FlinkErrorType.NotFound);
  });

  it('retries a refused connection as fetch reports it', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    assertRetryable(new TypeError('fetch failed', { cause: refused }));
  });

  it('retries a reset connection', () => {
    assertRetryable(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
  });

  it('retries a fetch that timed out or was aborted', () => {
    assertRetryable(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
    assertRetryable(new DOMException('This operation was aborted', 'AbortError'));
  });

  it('retries a request that got no answer', () => {
    assertRetryable(new FlinkUnreachable('GET', 'http://127.0.0.1:9/overview', 'ECONNREFUSED'));
  });

  it('does not retry an answer of an unexpected shape', () => {
    assertNonRetryable(new FlinkResponseInvalid('GET', 'http://127.0.0.1:9/overview', 200, '$.taskmanagers: expected a number'), FlinkErrorType.UnexpectedResponse);
  });

  it('passes an ApplicationFailure through and leaves other errors as they are', () => {
    const failure = ApplicationFailure.nonRetryable('bad spec', 'InvalidSpec');
    const plain = new Error('a bug');
    assert.equal(classifyFlinkError(failure), failure);
    assert.equal(classifyFlinkError(plain), plain);
    assert.equal(classifyFlinkError('text').message, 'text');
  });
});

describe('Flink answers that count as success', () => {
  it('recognises a second submission of the same job id', () => {
    assert.equal(isDuplicateSubmission(requestError(400, DUPLICATE_JOB)), true);
    assert.equal(isDuplicateSubmission(requestError(500, MISSING_ENTRY_CLASS)), false);
  });

  it('recognises a cancel of a job that has already ended', () => {
    const body = [chain('org.apache.flink.runtime.rest.handler.RestHandlerException: Job cancellation failed because the job has already reached another terminal state (FINISHED).')];
    assert.equal(isAlreadyTerminal(requestError(409, body)), true);
    assert.equal(isAlreadyTerminal(requestError(409, serverSide(chain('java.lang.IllegalStateException: busy')))), false);
  });
});

describe('FLINK_RETRY_POLICY', () => {
  it('backs off and gives up after a bounded number of attempts', () => {
    assert.ok(Number.isFinite(FLINK_RETRY_POLICY.maximumAttempts) && (FLINK_RETRY_POLICY.maximumAttempts ?? 0) > 1);
    assert.ok((FLINK_RETRY_POLICY.backoffCoefficient ?? 1) > 1);
    assert.ok(FLINK_RETRY_POLICY.initialInterval !== undefined && FLINK_RETRY_POLICY.maximumInterval !== undefined);
  });
});
