import { createServer } from 'node:net';

/**
 * Asks the kernel for a free loopback port. Another process could take it before Flink binds it;
 * on one machine with our own allocations that window has not mattered, and a bind failure shows
 * up as a readiness timeout with the log attached.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}
