import { InvalidCodecKeys } from '../codec/keys';
import { FleetError, type FleetErrorType } from '../errors';
import { InvalidConnectionConfig } from '../temporal-connection';
import { InvalidTracingConfig } from '../tracing';

/** Exit codes the CLI promises: 0 success, 1 failure, 2 bad input (a flag or a field) or a request refused as it stands. */
export const EXIT = { ok: 0, failure: 1, badInput: 2 } as const;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface Output {
  readonly json: boolean;
  /** A result: JSON on stdout for machines, the text for people. */
  result(value: unknown, text: () => string): void;
  /** Progress for people, on stderr so that stdout stays parseable. */
  progress(line: string): void;
}

export function output(json: boolean): Output {
  return {
    json,
    result(value, text) {
      process.stdout.write(`${json ? JSON.stringify(value) : text()}\n`);
    },
    progress(line) {
      if (!json) process.stderr.write(`${line}\n`);
    },
  };
}

const REFUSALS: readonly FleetErrorType[] = ['InvalidSpec', 'JarDigestMismatch', 'NotRunning', 'RescaleInProgress'];

export function exitCodeFor(error: unknown): number {
  if (error instanceof UsageError || error instanceof InvalidCodecKeys || error instanceof InvalidConnectionConfig || error instanceof InvalidTracingConfig) return EXIT.badInput;
  // Refusals: the request was judged and nothing was changed, so asking again as it is cannot help.
  if (error instanceof FleetError && REFUSALS.includes(error.type)) return EXIT.badInput;
  return EXIT.failure;
}

/** Fixed-width columns for people; `--json` gives the same rows to machines. */
export function table(rows: readonly (readonly unknown[])[], header: readonly string[]): string {
  const cells = [header, ...rows].map((row) => row.map((cell) => (typeof cell === 'string' ? cell : JSON.stringify(cell) ?? '')));
  const widths = header.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  return cells.map((row) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n');
}

export function uiLink(uiUrl: string, namespace: string, workflowId: string): string {
  return `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
