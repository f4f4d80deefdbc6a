import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';
import { ApplicationFailure, type LogLevel, type LogMetadata, type Logger } from '@temporalio/common';

/**
 * Fields that carry what a tenant wrote or read: SQL, connector options, secrets, rows, whole specs
 * and requests. Censored wherever they appear at the top of a line or one level down, so that a
 * log line added later that passes a spec or a request along prints none of it.
 */
const TENANT_CONTENT = ['sql', 'statement', 'statements', 'script', 'options', 'properties', 'secretEnv', 'secrets', 'rows', 'fields',
  'spec', 'request', 'input', 'args', 'result'];
export const REDACTED = '[redacted]';

/**
 * The SDK logs every failed activity with its error. An ApplicationFailure is the fleet's answer to a
 * tenant (InvalidSql, InvalidPreview...) and quotes the tenant's statement, so only its type goes to
 * the log; the workflow keeps the message, encrypted. Other errors are the fleet's own and stay whole.
 */
function serializeError(error: unknown): unknown {
  if (error instanceof ApplicationFailure) {
    return { type: 'ApplicationFailure', failureType: error.type, nonRetryable: error.nonRetryable, message: REDACTED };
  }
  return pino.stdSerializers.err(error as Error);
}

export function createLogger(level: string, destination?: DestinationStream): PinoLogger {
  const options = {
    level,
    base: { service: 'flink-fleet-worker' },
    // The SDK puts errors under `error`; pino serialises only `err` by default, leaving `{}`.
    serializers: { error: serializeError, err: serializeError },
    redact: { paths: TENANT_CONTENT.flatMap((field) => [field, `*.${field}`]), censor: REDACTED },
  };
  return destination ? pino(options, destination) : pino(options);
}

const LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error',
};

/** Temporal's Logger over pino, so that the SDK's own lines and workflow/activity logs are pino JSON too. */
export function temporalLogger(logger: PinoLogger): Logger {
  const write = (level: LogLevel, message: string, meta?: LogMetadata): void => {
    logger[LEVELS[level]](meta ?? {}, message);
  };
  return {
    log: write,
    trace: (message, meta) => write('TRACE', message, meta),
    debug: (message, meta) => write('DEBUG', message, meta),
    info: (message, meta) => write('INFO', message, meta),
    warn: (message, meta) => write('WARN', message, meta),
    error: (message, meta) => write('ERROR', message, meta),
  };
}
