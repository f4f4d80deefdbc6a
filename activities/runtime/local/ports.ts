import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const LOWEST = 10_000;
/** Below Kubernetes' NodePort range (30000-32767), which kube-proxy on a test node routes on every local address. */
const HIGHEST = 29_999;
const ATTEMPTS = 200;
/**
 * Ports in our range that the Fetch Standard calls "bad": Node's fetch refuses them before
 * connecting ("fetch failed: bad port"), so a component given one is unreachable to our readiness
 * checks and REST calls. 10080 is the only one at or above LOWEST.
 */
export const FETCH_BAD_PORTS: ReadonlySet<number> = new Set([10_080]);

/**
 * The kernel's ephemeral range (32768-60999 by default): every outgoing connection takes its local
 * port from it. A port asked of the kernel (listen on 0) and released for a component to bind was
 * taken under load by one of those connections before the component bound it, and it failed with
 * "address already in use". Below that range only another listener can take a port.
 */
function ephemeralLow(): number {
  try {
    const low = Number.parseInt(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0] ?? '', 10);
    return Number.isInteger(low) ? low : 32_768;
  } catch {
    return 32_768;
  }
}

export function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A free loopback port for a process we are about to start, drawn at random below the ephemeral and
 * NodePort ranges, at most `max`, and never one fetch refuses. Random, so that two starts at once
 * rarely draw the same one; a port in `taken` (handed out, not yet bound) is never drawn.
 */
export async function freePort(options: { max?: number; taken?: Set<number> } = {}): Promise<number> {
  const highest = Math.min(ephemeralLow() - 1, HIGHEST, options.max ?? HIGHEST);
  if (highest - LOWEST < 1_000) throw new Error(`fewer than 1000 ports between ${LOWEST} and ${highest}, below the kernel's ephemeral range`);
  const candidates: number[] = [];
  for (let port = LOWEST; port <= highest; port++) if (!FETCH_BAD_PORTS.has(port) && !options.taken?.has(port)) candidates.push(port);
  for (let attempt = 0; attempt < ATTEMPTS && candidates.length > 0; attempt++) {
    const port = candidates[randomInt(candidates.length)];
    if (port !== undefined && await bindable(port)) {
      options.taken?.add(port);
      return port;
    }
  }
  throw new Error(`no free port between ${LOWEST} and ${highest} after ${ATTEMPTS} tries`);
}
