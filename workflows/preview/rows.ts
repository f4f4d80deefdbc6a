import type { PreviewRow } from './api';

/**
 * The rows a preview keeps, bounded by count and by bytes (Temporal refuses payloads over 2 MB, and
 * the rows travel in signals, the `rows` query and the result). Pure: the activity uses it to know
 * when to stop, the workflow to keep its buffer within the same limits.
 */
export interface RowBudget {
  readonly maxRows: number;
  readonly maxBytes: number;
}

export interface RowTally {
  rows: number;
  bytes: number;
  truncated: boolean;
}

export function rowBytes(row: PreviewRow): number {
  // JSON is how the row travels; characters approximate bytes closely enough for a cap with headroom.
  return JSON.stringify(row).length;
}

/** The rows of `incoming` that still fit, and the tally after them. */
export function admitRows(tally: RowTally, incoming: readonly PreviewRow[], budget: RowBudget): { admitted: PreviewRow[]; tally: RowTally } {
  const admitted: PreviewRow[] = [];
  let { rows, bytes, truncated } = tally;
  for (const row of incoming) {
    if (rows >= budget.maxRows) break;
    const size = rowBytes(row);
    if (bytes + size > budget.maxBytes) {
      truncated = true;
      break;
    }
    admitted.push(row);
    rows += 1;
    bytes += size;
  }
  return { admitted, tally: { rows, bytes, truncated } };
}

export function budgetSpent(tally: RowTally, budget: RowBudget): boolean {
  return tally.truncated || tally.rows >= budget.maxRows;
}
