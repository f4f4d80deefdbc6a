import { InvalidArgumentError } from 'commander';
import { readFileSync } from 'node:fs';

/** Parsers for flag values; commander turns their errors into "error: option '--x' argument ..." (exit 2). */
export function positiveInt(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new InvalidArgumentError('must be a whole number of 0 or more');
  return parsed;
}

const DURATION = /^(\d+)(ms|s|m|h)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** `90`, `90s`, `2m`: seconds unless a unit says otherwise. */
export function durationSeconds(value: string): number {
  const match = DURATION.exec(value.trim());
  if (!match) throw new InvalidArgumentError('must be a duration such as 90s, 2m or 1h');
  const ms = Number(match[1]) * (UNIT_MS[match[2] ?? 's'] ?? 1_000);
  if (ms < 1_000) throw new InvalidArgumentError('must be at least 1s');
  return Math.round(ms / 1_000);
}

export function fileText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new InvalidArgumentError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}
