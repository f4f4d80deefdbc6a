import pino, { type Logger as PinoLogger } from 'pino';
import type { LogLevel, LogMetadata, Logger } from '@temporalio/common';

export function createLogger(level: string): PinoLogger {
  // The SDK puts errors under `error`; pino serialises only `err` by default, leaving `{}`.
  return pino({ level, base: { service: 'flink-fleet-worker' }, serializers: { error: pino.stdSerializers.err, err: pino.stdSerializers.err } });
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
