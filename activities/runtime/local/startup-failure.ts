import { parseJavaTrace, rootCause } from '../../flink/errors';

const LOG_LINE = /^\d{4}-\d{2}-\d{2} [\d:,]+ (ERROR|WARN|INFO|DEBUG)\s/;

/**
 * Why a JobManager exited while starting, from its console log: the last ERROR entry's exception
 * chain (e.g. "The program's entry point class 'a.B' was not found in the jar file"), without frames.
 */
export function startupFailureFromLog(log: string): string | undefined {
  const lines = log.split('\n');
  const errorAt = lines.findLastIndex((line) => LOG_LINE.test(line) && line.includes(' ERROR '));
  if (errorAt < 0) return undefined;
  const entry: string[] = [];
  for (const line of lines.slice(errorAt + 1)) {
    if (LOG_LINE.test(line)) break;
    entry.push(line);
  }
  const causes = parseJavaTrace(entry.join('\n'));
  const program = causes.find((c) => /ProgramInvocationException$/.test(c.className));
  return program?.message.split('\n', 1)[0] ?? (causes.length > 0 ? rootCause(causes) : lines[errorAt]);
}
