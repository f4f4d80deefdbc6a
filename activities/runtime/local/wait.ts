import { setTimeout as sleep } from 'node:timers/promises';
import { lastLines } from './processes';

export interface WaitOptions {
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  /** Shown (its last 30 lines) when the wait times out: the reason is nearly always in there. */
  readonly logFile?: string;
  /** Says why waiting longer is pointless (the process died), or undefined to keep waiting. */
  readonly hopeless?: () => string | undefined;
}

export class ReadinessTimeout extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReadinessTimeout';
  }
}

/**
 * An error's message with those of its causes: a client's error often says only which call failed
 * ("Failed to query Workflow") and leaves why (the gRPC status) to its cause.
 */
export function messageWithCauses(error: unknown): string {
  const messages: string[] = [];
  for (let e: unknown = error; e !== undefined && e !== null && messages.length < 5; e = e instanceof Error ? e.cause : undefined) {
    messages.push(e instanceof Error ? e.message : String(e));
  }
  return messages.join(': ');
}

/** Polls `probe` until it yields a value; connection errors count as "not yet". */
export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined>, options: WaitOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError = '';
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = messageWithCauses(error);
    }
    const hopeless = options.hopeless?.();
    if (hopeless !== undefined || Date.now() >= deadline) {
      const log = options.logFile ? `\nlast lines of ${options.logFile}:\n${lastLines(options.logFile)}` : '';
      const cause = lastError ? ` (last error: ${lastError})` : '';
      const verdict = hopeless ?? `not ready after ${options.timeoutMs} ms`;
      throw new ReadinessTimeout(`${what} ${verdict}${cause}${log}`);
    }
    await sleep(options.intervalMs ?? 200);
  }
}
