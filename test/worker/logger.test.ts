import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { ApplicationFailure } from '@temporalio/common';
import { createLogger, REDACTED, temporalLogger } from '../../worker/logger';

const SQL = "CREATE TABLE vault (v STRING) WITH ('connector' = 'kafka', 'properties.sasl.jaas.config' = 'password=\"hunter2\"')";

/** The worker's logger writing into memory, as lines of JSON. */
function capturedLogger(): { logger: ReturnType<typeof temporalLogger>; lines(): Record<string, unknown>[]; text(): string } {
  let written = '';
  const sink = new Writable({ write(chunk: Buffer, _encoding, done) { written += chunk.toString(); done(); } });
  const logger = temporalLogger(createLogger('info', sink));
  return { logger, text: () => written, lines: () => written.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('the worker\'s logs', () => {
  it('censor SQL, options, secrets and rows passed as fields, at the top or one level down', () => {
    const log = capturedLogger();
    log.logger.info('preview started', {
      workflowId: 'preview/acme/1', tenant: 'acme', sql: SQL, request: { tenant: 'acme', sql: SQL },
      spec: { job: { kind: 'sql', script: SQL } }, preview: { rows: [['row-value-42']], options: { password: 'hunter2' } }, secretEnv: { DB_PASSWORD: 'hunter2' },
    });
    const [line] = log.lines();
    assert.deepEqual(line && { tenant: line.tenant, workflowId: line.workflowId, sql: line.sql, request: line.request, spec: line.spec, preview: line.preview, secretEnv: line.secretEnv }, {
      tenant: 'acme', workflowId: 'preview/acme/1', sql: REDACTED, request: REDACTED, spec: REDACTED, preview: { rows: REDACTED, options: REDACTED }, secretEnv: REDACTED,
    });
    assert.ok(!log.text().includes('hunter2') && !log.text().includes('row-value-42') && !log.text().includes('CREATE TABLE'));
  });

  it('keep a tenant-facing failure\'s type but not its message, which quotes the statement', () => {
    const log = capturedLogger();
    log.logger.warn('Activity failed', { error: ApplicationFailure.nonRetryable(`Flink refused: ${SQL}`, 'InvalidSql') });
    assert.deepEqual(log.lines()[0]?.error, { type: 'ApplicationFailure', failureType: 'InvalidSql', nonRetryable: true, message: REDACTED });
  });

  it('keep the fleet\'s own errors whole, for the operator', () => {
    const log = capturedLogger();
    log.logger.error('cannot reach Flink', { error: new Error('connect ECONNREFUSED 127.0.0.1:8081') });
    const error = log.lines()[0]?.error as { message?: string; stack?: string } | undefined;
    assert.equal(error?.message, 'connect ECONNREFUSED 127.0.0.1:8081');
    assert.match(error?.stack ?? '', /logger\.test\.ts/);
  });
});
