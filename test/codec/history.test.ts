import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { AesGcmPayloadCodec } from '../../client/codec/aes-gcm-codec';
import { startCodecServer, type CodecServer } from '../../client/codec/codec-server';
import { toolchain } from '../../scripts/toolchain';
import { temporalTestBed } from '../harness/global';
import { startSharedPool, type PoolFixture } from '../preview/pool-fixture';

/**
 * The "done when": `temporal workflow show` on a preview shows no SQL text, option value or
 * row in plain text, and shows them all through the codec endpoint. The Kafka table is created but
 * never read, so its password only ever exists in the SQL; the row value is computed by Flink, so it
 * appears nowhere in the SQL.
 */
const PASSWORD = 's3cr3t-kafka-pw';
const SQL = [
  "CREATE TEMPORARY TABLE vault (v STRING) WITH ('connector' = 'kafka', 'topic' = 'vault', 'properties.bootstrap.servers' = 'kafka.invalid:9092', "
    + `'properties.sasl.jaas.config' = 'org.apache.kafka.common.security.plain.PlainLoginModule required username="fleet" password="${PASSWORD}";', 'format' = 'raw')`,
  "CREATE TEMPORARY TABLE ledger (n BIGINT) WITH ('connector' = 'datagen', 'number-of-rows' = '3', 'fields.n.kind' = 'sequence', 'fields.n.start' = '1', 'fields.n.end' = '3')",
  "SELECT CONCAT('ro', 'w-', CAST(n * 7919 AS STRING)) AS marker FROM ledger",
].join(';\n');
const SQL_TEXT = 'CREATE TEMPORARY TABLE ledger';
const ROW_VALUE = 'row-7919';

/** Every string in the JSON, and every payload's data decoded from its base64, as one text to search. */
function readable(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(readable);
  if (typeof value !== 'object' || value === null) return [];
  const fields = value as Record<string, unknown>;
  const payloadData = 'metadata' in fields && typeof fields.data === 'string' ? [Buffer.from(fields.data, 'base64').toString('utf8')] : [];
  return [...Object.keys(fields), ...Object.values(fields).flatMap(readable), ...payloadData];
}

/** Where plain JSON payloads sit, as dotted paths. */
function plainPayloadPaths(value: unknown, path = ''): string[] {
  if (typeof value !== 'object' || value === null) return [];
  const fields = value as Record<string, unknown>;
  const encoding = (fields.metadata as Record<string, string> | undefined)?.encoding;
  const here = encoding !== undefined && Buffer.from(encoding, 'base64').toString() === 'json/plain' ? [path] : [];
  return [...here, ...Object.entries(fields).flatMap(([key, child]) => plainPayloadPaths(child, path ? `${path}.${key}` : key))];
}

/** The cached `temporal` CLI, as an operator runs it against the run's server. */
async function workflowShow(workflowId: string, codec?: { endpoint: string; token: string }): Promise<unknown> {
  const args = ['workflow', 'show', '--workflow-id', workflowId, '--output', 'json', '--address', temporalTestBed().server.address,
    ...(codec ? ['--codec-endpoint', codec.endpoint, '--codec-auth', `Bearer ${codec.token}`] : [])];
  const { stdout } = await promisify(execFile)(toolchain().temporalBinary, args, { maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(stdout);
}

describe('a preview\'s history, as `temporal workflow show` prints it', () => {
  let fixture: PoolFixture & { stop(): Promise<void> };
  let codecServer: CodecServer;
  const token = randomBytes(24).toString('hex');
  let workflowId: string;
  before(async function () {
    this.timeout(480_000); // above the pool's start (up to 300 s) and a preview
    codecServer = await startCodecServer({ codec: new AesGcmPayloadCodec(temporalTestBed().codecKeys), token, allowedOrigins: [], port: 0 });
    fixture = await startSharedPool('history', { target: 1, reconcileSeconds: 3 });
    const stream = await fixture.bed.client.preview('acme', SQL, { pool: fixture.pool });
    workflowId = stream.workflowId;
    const result = await stream.result();
    assert.equal(result.stoppedBecause, 'end-of-data', result.error);
    assert.deepEqual(result.rows.map((row) => row.fields[0]), ['row-7919', 'row-15838', 'row-23757']);
  });
  after(async () => {
    await fixture?.stop();
    await codecServer?.close();
  });

  it('holds no SQL text, option value or row in plain text', async () => {
    const history = await workflowShow(workflowId);
    const raw = readable(history).join('\n');
    assert.ok(raw.includes('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED'), 'the whole history, to its end');
    for (const secret of [SQL_TEXT, PASSWORD, ROW_VALUE]) assert.ok(!raw.includes(secret), `${secret} is in the raw history`);
    assert.ok(raw.includes(Buffer.from('binary/encrypted').toString('base64')), 'its payloads are encrypted');
    // Search attributes stay plain: the server indexes them. They hold the tenant, kind and state only.
    const plain = plainPayloadPaths(history);
    assert.ok(plain.length > 0 && plain.every((path) => /\.searchAttributes\.indexedFields\.Fleet(Tenant|Kind|JobState)$/.test(path)), plain.join(', '));
  });

  it('shows the SQL, the option value and the rows through the codec endpoint', async () => {
    const decoded = readable(await workflowShow(workflowId, { endpoint: codecServer.url, token })).join('\n');
    for (const secret of [SQL_TEXT, PASSWORD, ROW_VALUE]) assert.ok(decoded.includes(secret), `${secret} is in the decoded history`);
  });
});
