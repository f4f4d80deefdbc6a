import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

/** What a long step reports while it runs: its stage, and the bytes of a download when they can be seen. */
export interface ProgressSpec {
  /** The stage, e.g. `building kubelet, kube-proxy, kubectl`. */
  readonly label: string;
  /** How long the stage takes cold on two cores, when known. */
  readonly estimateSeconds?: number;
  /** A folder (or a file) the output grows into, and its expected size when known. */
  readonly bytes?: { readonly dir: string; readonly totalBytes?: number };
}

export function formatDuration(seconds: number): string {
  const whole = Math.round(seconds);
  return whole < 60 ? `${whole} s` : `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, '0')} s`;
}

const megabytes = (bytes: number): string => `${Math.round(bytes / 1e6)} MB`;

/** Pure: one progress line, without the `[install] component:` prefix. */
export function progressLine(spec: ProgressSpec, elapsedSeconds: number, bytesSoFar?: number): string {
  const parts = [spec.label];
  if (bytesSoFar !== undefined) {
    const total = spec.bytes?.totalBytes;
    parts.push(total ? `${megabytes(bytesSoFar)} of about ${megabytes(total)}` : megabytes(bytesSoFar));
  }
  parts.push(spec.estimateSeconds ? `${formatDuration(elapsedSeconds)} of about ${formatDuration(spec.estimateSeconds)}` : formatDuration(elapsedSeconds));
  return parts.join(', ');
}

export interface TickerData {
  readonly flag: Int32Array;
  readonly prefix: string;
  readonly spec: ProgressSpec;
  readonly intervalMs: number;
  readonly tty: boolean;
}

/**
 * Reports `spec` on one line until the returned function is called: rewritten in place on a terminal
 * every 2 s, a new line every 15 s otherwise. The steps run their commands with spawnSync, which
 * blocks this thread's event loop, so the ticker is a worker thread that writes to fd 1 itself and
 * sleeps on a shared flag, raised by the returned function.
 */
function startTicker(prefix: string, spec: ProgressSpec): () => void {
  const tty = process.stdout.isTTY === true;
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const workerData: TickerData = { flag, prefix, spec, intervalMs: tty ? 2000 : 15_000, tty };
  // `tsx script.ts` does not pass its loader on to worker threads; the require does.
  const ticker = new Worker(join(__dirname, 'progress-ticker.ts'), { workerData, execArgv: ['--require', 'tsx/cjs'] });
  ticker.unref();
  return () => {
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
    if (tty) process.stdout.write('\r\x1b[K');
  };
}

/** Runs the synchronous `work` (a spawnSync) while one line reports its progress. */
export function withProgress<T>(prefix: string, spec: ProgressSpec, work: () => T): T {
  const stop = startTicker(prefix, spec);
  try {
    return work();
  } finally {
    stop();
  }
}

/** Runs the asynchronous `work` (a training run, a compression stream) while one line reports its progress. */
export async function withProgressAsync<T>(prefix: string, spec: ProgressSpec, work: () => Promise<T>): Promise<T> {
  const stop = startTicker(prefix, spec);
  try {
    return await work();
  } finally {
    stop();
  }
}
