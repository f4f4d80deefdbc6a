import { parseJavaTrace, rootCause, type JavaCause } from '../../flink/errors';

const LOG_LINE = /^\d{4}-\d{2}-\d{2} [\d:,]+ (ERROR|WARN|INFO|DEBUG)\s/;

/**
 * Why a JobManager exited while starting, from its console log: the last ERROR entry's exception
 * chain (e.g. "The program's entry point class 'a.B' was not found in the jar file"), without frames.
 */
export function startupFailureFromLog(log: string): string | undefined {
  const entry = lastErrorEntry(log);
  if (!entry) return undefined;
  const program = entry.causes.find((c) => /ProgramInvocationException$/.test(c.className));
  return program?.message.split('\n', 1)[0] ?? (entry.causes.length > 0 ? rootCause(entry.causes) : entry.line);
}

/**
 * Whether the JVM whose console log this is died because a port it was given was already bound
 * (Flink's REST endpoint and its RPC service both end in a java.net.BindException).
 */
export function lostItsPort(log: string): boolean {
  return lastErrorEntry(log)?.causes.some((c) => c.className === 'java.net.BindException') ?? false;
}

/** The last ERROR entry of a console log: its first line and its exception chain, without frames. */
function lastErrorEntry(log: string): { line: string; causes: JavaCause[] } | undefined {
  const lines = log.split('\n');
  const errorAt = lines.findLastIndex((line) => LOG_LINE.test(line) && line.includes(' ERROR '));
  if (errorAt < 0) return undefined;
  const entry: string[] = [];
  for (const line of lines.slice(errorAt + 1)) {
    if (LOG_LINE.test(line)) break;
    entry.push(line);
  }
  return { line: lines[errorAt] ?? '', causes: parseJavaTrace(entry.join('\n')) };
}
