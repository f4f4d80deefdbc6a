import { lstatSync, readdirSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { workerData } from 'node:worker_threads';
import { progressLine, type TickerData } from './progress';

/** The worker thread of `withProgress`: one line per interval until the flag is raised. */

function sizeOf(path: string): number {
  let entries;
  try {
    const stats = lstatSync(path);
    if (!stats.isDirectory()) return stats.size;
    entries = readdirSync(path, { withFileTypes: true });
  } catch {
    // Not there yet, or a download's temporary file renamed between the listing and the stat.
    return 0;
  }
  let total = 0;
  for (const entry of entries) total += sizeOf(join(path, entry.name));
  return total;
}

const { flag, prefix, spec, intervalMs, tty } = workerData as TickerData;
const start = Date.now();
function report(): void {
  const bytes = spec.bytes ? sizeOf(spec.bytes.dir) : undefined;
  const line = `${prefix}${progressLine(spec, (Date.now() - start) / 1000, bytes)}`;
  writeSync(1, tty ? `\r\x1b[K${line}` : `${line}\n`);
}
// The stage is named as it starts, so even a quick one says what it did; unless it is over already.
if (Atomics.load(flag, 0) === 0) report();
while (Atomics.wait(flag, 0, 0, intervalMs) === 'timed-out') report();
