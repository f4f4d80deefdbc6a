import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * One real node per host: it takes a fixed interface, address, iptables chains and paths. A node's
 * starter claims the host with a file created exclusively (its node folder and the starter's pid),
 * and the node's stop removes it only after the host is put back, so the next node never starts in
 * the middle of the last one's cleanup. The claim outlives its starter on purpose: `dev up` exits
 * and leaves its node running.
 */
export interface HostClaim {
  readonly dir: string;
  readonly owner: number;
}

export function readClaim(file: string): HostClaim | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const [dir = '', owner = '0'] = text.split('\n');
  return { dir, owner: Number(owner) };
}

function tryClaim(file: string, dir: string): boolean {
  try {
    writeFileSync(file, `${dir}\n${process.pid}\n`, { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** Gives the host back, if `dir`'s node holds it. */
export function releaseClaim(file: string, dir: string): void {
  if (readClaim(file)?.dir === dir) rmSync(file, { force: true });
}

export interface ClaimOptions {
  /** How long to wait for another node to stop; 0 to fail at once. */
  readonly waitMs: number;
  readonly log: (line: string) => void;
  /**
   * Cleans up after a claim whose node is gone (its starter and its processes dead) and releases it;
   * leaves a live one alone.
   */
  readonly undoIfAbandoned: (claim: HostClaim) => Promise<void>;
  readonly pollMs?: number;
}

export class HostTaken extends Error {
  constructor(readonly claim: HostClaim) {
    super(`another real node runs on this host (${claim.dir}, started by pid ${claim.owner}): stop it first (\`flink-fleet dev down\`, or the test run that started it)`);
    this.name = 'HostTaken';
  }
}

export async function claimHost(file: string, dir: string, options: ClaimOptions): Promise<void> {
  const deadline = Date.now() + options.waitMs;
  let told = false;
  for (;;) {
    const held = readClaim(file);
    if (held) await options.undoIfAbandoned(held);
    if (tryClaim(file, dir)) return;
    const holder = readClaim(file);
    if (holder && Date.now() >= deadline) throw new HostTaken(holder);
    if (holder && !told) options.log(`waiting for the real node in ${holder.dir} to stop (one real node per host)`);
    told ||= holder !== undefined;
    await sleep(options.pollMs ?? 2_000);
  }
}
