import { createHash, createHmac } from 'node:crypto';

/** What AWS Signature Version 4 needs of one request; pure, so it is tested without a network. */
export interface UnsignedRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface SigningKey {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region: string;
  readonly service: string;
}

const sha256 = (data: string): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data).digest();

/** RFC 3986 unreserved characters stay; everything else is %XX, as SigV4's canonical form wants. */
function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function canonicalQuery(url: URL): string {
  return [...url.searchParams.entries()]
    .map(([key, value]) => [uriEncode(key), uriEncode(value)] as const)
    .sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : 1) : a < b ? -1 : 1))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
}

/** S3 signs the path as sent (each segment encoded once), not normalized. */
function canonicalPath(url: URL): string {
  return url.pathname.split('/').map((segment) => uriEncode(decodeURIComponent(segment))).join('/') || '/';
}

/** The headers to send: the request's own plus the date, the payload hash and the Authorization. */
export function signV4(request: UnsignedRequest, key: SigningKey, now: Date): Record<string, string> {
  const amzDate = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const payloadHash = sha256(request.body ?? '');
  const headers: Record<string, string> = {
    ...Object.fromEntries(Object.entries(request.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v.trim()])),
    host: request.url.host, 'x-amz-date': amzDate, 'x-amz-content-sha256': payloadHash,
  };
  const names = Object.keys(headers).sort();
  const canonical = [
    request.method, canonicalPath(request.url), canonicalQuery(request.url),
    ...names.map((name) => `${name}:${headers[name]}`), '', names.join(';'), payloadHash,
  ].join('\n');
  const scope = `${day}/${key.region}/${key.service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${key.secretAccessKey}`, day), key.region), key.service), 'aws4_request');
  const signature = createHmac('sha256', signingKey).update(toSign).digest('hex');
  // fetch sets Host itself (and refuses to be given one); it was signed as fetch will send it.
  const sent = Object.fromEntries(Object.entries(headers).filter(([name]) => name !== 'host'));
  return { ...sent, authorization: `AWS4-HMAC-SHA256 Credential=${key.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}` };
}
