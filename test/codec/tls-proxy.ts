import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect, constants, createSecureServer, type Http2SecureServer, type IncomingHttpHeaders, type OutgoingHttpHeaders, type ServerHttp2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { join } from 'node:path';

/**
 * The dev server speaks no TLS (`temporal server start-dev` has no TLS flags), so a real TLS endpoint
 * for the connection tests is this: an HTTP/2 TLS front that asks for a client certificate and
 * passes every gRPC call on to the dev server, recording what each call carried.
 */
export interface TestCertificates { readonly ca: string; readonly serverCert: string; readonly serverKey: string; readonly clientCert: string; readonly clientKey: string }

export const SERVER_NAME = 'temporal.fleet.test';

export function makeCertificates(dir: string): TestCertificates {
  const file = (name: string): string => join(dir, name);
  const openssl = (...args: string[]): void => void execFileSync('openssl', args, { stdio: 'pipe' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=fleet test CA', '-keyout', file('ca.key'), '-out', file('ca.pem'),
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  const leaf = (name: string, subject: string, extensions: string): void => {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', subject, '-keyout', file(`${name}.key`), '-out', file(`${name}.csr`));
    writeFileSync(file(`${name}.ext`), extensions);
    openssl('x509', '-req', '-in', file(`${name}.csr`), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-days', '1',
      '-out', file(`${name}.pem`), '-extfile', file(`${name}.ext`));
  };
  leaf('server', `/CN=${SERVER_NAME}`, `subjectAltName=DNS:${SERVER_NAME}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`);
  leaf('client', '/CN=flink-fleet-worker', 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n');
  return { ca: file('ca.pem'), serverCert: file('server.pem'), serverKey: file('server.key'), clientCert: file('client.pem'), clientKey: file('client.key') };
}

export interface SeenCall { readonly path: string; readonly authorization?: string; readonly clientCertificate?: string }

export interface TlsProxy { readonly address: string; readonly seen: SeenCall[]; close(): Promise<void> }

export async function startTlsProxy(certificates: TestCertificates, upstreamAddress: string): Promise<TlsProxy> {
  const upstream = connect(`http://${upstreamAddress}`);
  const seen: SeenCall[] = [];
  const sessions = new Set<ServerHttp2Session>();
  const server: Http2SecureServer = createSecureServer({
    cert: readFileSync(certificates.serverCert), key: readFileSync(certificates.serverKey), ca: readFileSync(certificates.ca),
    requestCert: true, rejectUnauthorized: true,
  });
  server.on('session', (session: ServerHttp2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  server.on('stream', (stream, headers: IncomingHttpHeaders) => {
    const peer = (stream.session?.socket as TLSSocket | undefined)?.getPeerCertificate();
    seen.push({ path: String(headers[':path']), authorization: headers.authorization?.toString(), clientCertificate: peer?.subject?.CN?.toString() });
    const call = upstream.request(Object.fromEntries(Object.entries(headers).filter(([name]) => !name.startsWith(':') || name === ':path' || name === ':method')));
    // gRPC puts its status in trailers, after the body; a trailers-only answer has them in the headers.
    let trailers: OutgoingHttpHeaders = {};
    call.on('response', (response) => stream.respond(response, { waitForTrailers: true }));
    call.on('trailers', (received) => (trailers = received));
    stream.on('wantTrailers', () => stream.sendTrailers(trailers));
    call.on('error', () => stream.close(constants.NGHTTP2_INTERNAL_ERROR));
    stream.pipe(call);
    call.pipe(stream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((resolve) => {
      for (const session of sessions) session.destroy();
      upstream.close();
      server.close(() => resolve());
    }),
  };
}
