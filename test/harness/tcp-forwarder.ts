import { createConnection, createServer, type Socket } from 'node:net';

export interface TcpForwarder {
  /** Where pods connect: `<host>:<port>`. */
  readonly address: string;
  close(): Promise<void>;
}

/**
 * Forwards connections on `host` (a free port) to `target` (`host:port`). The Temporal dev server
 * cannot listen on the real node's address, since its own services call each other on the address
 * it is given and expect 127.0.0.1; a pod reaches the tests' server through this.
 */
export function startTcpForwarder(host: string, target: string): Promise<TcpForwarder> {
  const [targetHost = '', targetPort = ''] = target.split(/:(?=\d+$)/);
  const sockets = new Set<Socket>();
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const server = createServer((incoming) => {
    const outgoing = createConnection({ host: targetHost, port: Number(targetPort) });
    track(incoming);
    track(outgoing);
    // Either end failing or closing takes the other with it, as a direct connection would.
    incoming.on('error', () => outgoing.destroy());
    outgoing.on('error', () => incoming.destroy());
    incoming.pipe(outgoing).pipe(incoming);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: 0 }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('the forwarder has no TCP address');
      resolve({
        address: `${host}:${address.port}`,
        close: () => new Promise<void>((done) => {
          for (const socket of sockets) socket.destroy();
          server.close(() => done());
        }),
      });
    });
  });
}
