import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Worker } from '@temporalio/worker';
import { AesGcmPayloadCodec } from '../../client/codec/aes-gcm-codec';
import { payloadToJson, startCodecServer, type CodecServer, type JsonPayload } from '../../client/codec/codec-server';
import { fleetDataConverter } from '../../client/codec/data-converter';
import { temporalTestBed } from '../harness/global';

const TOKEN = 'test-token-0123456789abcdef';
const UI = 'http://127.0.0.1:8233';
const MESSAGE = 'SELECT secret FROM vault';

/** The encrypted input of an `echo(MESSAGE)` run by a real worker, as Temporal stored it. */
async function workerMadePayload(): Promise<JsonPayload> {
  const { env, workflowBundle, codecKeys } = temporalTestBed();
  const taskQueue = `codec-server-${randomUUID().slice(0, 8)}`;
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle, dataConverter: fleetDataConverter(codecKeys) });
  const workflowId = `test/codec-server/${taskQueue}`;
  await worker.runUntil(env.client.workflow.execute('echo', { taskQueue, workflowId, args: [MESSAGE] }));
  const { events } = await env.client.workflow.getHandle(workflowId).fetchHistory();
  const input = events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  assert.ok(input, 'the start event has an input payload');
  return payloadToJson(input);
}

const text = (base64: string | null | undefined): string => Buffer.from(base64 ?? '', 'base64').toString('utf8');

describe('the codec server', () => {
  let server: CodecServer;
  let payload: JsonPayload;
  before(async () => {
    server = await startCodecServer({ codec: new AesGcmPayloadCodec(temporalTestBed().codecKeys), token: TOKEN, allowedOrigins: [UI], port: 0 });
    payload = await workerMadePayload();
  });
  after(async () => {
    await server?.close();
  });

  const post = (path: string, headers: Record<string, string> = {}): Promise<Response> => fetch(`${server.url}${path}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Namespace': 'default', ...headers }, body: JSON.stringify({ payloads: [payload] }),
  });

  it('decodes a payload the worker encrypted to its plain JSON', async () => {
    assert.equal(text(payload.metadata?.encoding), 'binary/encrypted');
    assert.ok(!text(payload.data).includes('secret'));
    const response = await post('/decode', { Authorization: `Bearer ${TOKEN}` });
    assert.equal(response.status, 200);
    const { payloads } = await response.json() as { payloads: JsonPayload[] };
    assert.equal(payloads.length, 1);
    assert.equal(text(payloads[0]?.metadata?.encoding), 'json/plain');
    assert.equal(text(payloads[0]?.data), JSON.stringify(MESSAGE));
  });

  it('takes the token as the first path segment too, the only way the Temporal UI without sign-on can send it', async () => {
    const response = await post(`/${TOKEN}/decode`, { Origin: UI });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('access-control-allow-origin'), UI);
    const { payloads } = await response.json() as { payloads: JsonPayload[] };
    assert.equal(text(payloads[0]?.data), JSON.stringify(MESSAGE));
  });

  it('refuses a request without the token, or with a wrong one, and decodes nothing', async () => {
    for (const response of [await post('/decode'), await post('/decode', { Authorization: 'Bearer wrong' }), await post('/not-the-token/decode')]) {
      assert.equal(response.status, 401);
      const body = await response.text();
      assert.ok(!body.includes('secret'), body);
    }
  });

  it('encodes what it decodes back, under the current key', async () => {
    const decoded = await (await post('/decode', { Authorization: `Bearer ${TOKEN}` })).json() as { payloads: JsonPayload[] };
    const response = await fetch(`${server.url}/encode`, { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}` }, body: JSON.stringify(decoded) });
    const { payloads } = await response.json() as { payloads: JsonPayload[] };
    assert.equal(text(payloads[0]?.metadata?.['encryption-key-id']), temporalTestBed().codecKeys.current.id);
  });

  it('answers the UI\'s CORS preflight, and no other origin\'s', async () => {
    const preflight = (origin: string): Promise<Response> => fetch(`${server.url}/decode`, {
      method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,x-namespace' },
    });
    const allowed = await preflight(UI);
    assert.equal(allowed.status, 204);
    assert.equal(allowed.headers.get('access-control-allow-origin'), UI);
    assert.match(allowed.headers.get('access-control-allow-headers') ?? '', /Content-Type.*X-Namespace/);
    assert.match(allowed.headers.get('access-control-allow-methods') ?? '', /POST/);
    const other = await preflight('http://evil.example');
    assert.equal(other.status, 403);
    assert.equal(other.headers.get('access-control-allow-origin'), null);
  });
});
