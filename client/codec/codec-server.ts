import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';

/**
 * Temporal's codec-server protocol (POST `.../encode` and `.../decode`, a body of
 * `{ payloads: [proto-JSON Payload] }`), so that the Temporal UI and `temporal` CLI show decoded
 * payloads to an operator. Only the last path segment names the operation, as the protocol asks;
 * the segment before it may carry the token, because the Temporal UI without single sign-on can send
 * no Authorization header, only fetch the endpoint URL it was given.
 */
export interface CodecServerOptions {
  readonly codec: PayloadCodec;
  /** Needed on every request, as `Authorization: Bearer <token>` or as the path's first segment. */
  readonly token: string;
  /** The UI origins whose browser requests are allowed (CORS), e.g. http://127.0.0.1:8233. */
  readonly allowedOrigins: readonly string[];
  readonly host?: string;
  /** 0 for a free port. */
  readonly port: number;
}

/** A Payload in protobuf's JSON mapping: bytes as base64. */
export interface JsonPayload {
  readonly metadata?: Record<string, string> | null;
  readonly data?: string | null;
}

// Written out, not the SDK's payloadToJSON: that one fails in this install ("type must be a Type")
// over two protobufjs copies, and the mapping of Payload's two fields is all there is to it.
export function payloadToJson(payload: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value).toString('base64')])),
    data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64'),
  };
}

export function payloadFromJson(json: JsonPayload): Payload {
  if (typeof json !== 'object' || json === null) throw new HttpProblem(400, 'a payload must be an object');
  return {
    metadata: Object.fromEntries(Object.entries(json.metadata ?? {}).map(([key, value]) => [key, new Uint8Array(Buffer.from(String(value), 'base64'))])),
    data: new Uint8Array(Buffer.from(json.data ?? '', 'base64')),
  };
}

export interface CodecServer {
  /** Without the token. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Temporal refuses payloads over 2 MB; a batch the UI sends holds a few of them. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

class HttpProblem extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

function authorized(request: IncomingMessage, pathToken: string | undefined, token: string): boolean {
  const header = request.headers.authorization;
  const given = header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : pathToken;
  // Compared as digests: equal lengths for timingSafeEqual, and no timing hint about the token.
  return given !== undefined && timingSafeEqual(digest(given), digest(token));
}

async function body(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpProblem(413, `the body is over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpProblem(400, 'the body is not JSON');
  }
}

function payloadsOf(value: unknown): JsonPayload[] {
  const payloads = (value as { payloads?: unknown } | null)?.payloads;
  if (!Array.isArray(payloads)) throw new HttpProblem(400, 'the body must be {"payloads": [...]}');
  return payloads as JsonPayload[];
}

function corsHeaders(origin: string | undefined, allowed: readonly string[]): Record<string, string> {
  if (origin === undefined || !allowed.includes(origin)) return {};
  return {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Allow-Methods': 'POST, OPTIONS',
    'Access-Control-Allow-Headers': 'Content-Type, Authorization, X-Namespace',
    'Access-Control-Allow-Credentials': 'true',
    'Access-Control-Max-Age': '600',
    Vary: 'Origin',
  };
}

async function handle(request: IncomingMessage, response: ServerResponse, options: CodecServerOptions): Promise<void> {
  const origin = request.headers.origin;
  const cors = corsHeaders(origin, options.allowedOrigins);
  const reply = (status: number, value: unknown): void => {
    response.writeHead(status, { 'Content-Type': 'application/json', ...cors }).end(JSON.stringify(value));
  };
  try {
    // A browser page from anywhere else gets nothing, not even a refusal it could read.
    if (origin !== undefined && !options.allowedOrigins.includes(origin)) throw new HttpProblem(403, `origin ${origin} is not allowed`);
    if (request.method === 'OPTIONS') {
      response.writeHead(204, cors).end();
      return;
    }
    const segments = new URL(request.url ?? '/', 'http://codec').pathname.split('/').filter(Boolean);
    const operation = segments.at(-1);
    if (request.method !== 'POST' || (operation !== 'encode' && operation !== 'decode')) throw new HttpProblem(404, 'POST .../encode or .../decode');
    if (!authorized(request, segments.length > 1 ? segments[0] : undefined, options.token)) throw new HttpProblem(401, 'a token is required');
    const payloads = payloadsOf(await body(request)).map(payloadFromJson);
    const result = operation === 'encode' ? await options.codec.encode(payloads) : await options.codec.decode(payloads);
    reply(200, { payloads: result.map(payloadToJson) });
  } catch (error) {
    const status = error instanceof HttpProblem ? error.status : 400;
    reply(status, { error: error instanceof Error ? error.message : String(error) });
  }
}

export function startCodecServer(options: CodecServerOptions): Promise<CodecServer> {
  const server = createServer((request, response) => void handle(request, response, options));
  const host = options.host ?? '127.0.0.1';
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://${host}:${port}`,
        port,
        close: () => new Promise<void>((done) => {
          server.closeAllConnections();
          server.close(() => done());
        }),
      });
    });
  });
}
