import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { egressEndpoint } from '../../client/cli/options';
import type { DeclaredEndpoint } from '../../workflows/pipeline/egress';
import { parsePipelineSpec } from '../../workflows/pipeline/spec';
import { runCli } from '../harness/cli';
import { newStateDir } from '../harness/state';

/**
 * Stands where Temporal would be and counts every connection made to it. The kernel accepts
 * connections in the order they came, so once a probe of ours has been accepted, every connection
 * the CLI opened before it has been counted too: `seen()` needs no guessed wait.
 */
interface ConnectionRecorder { readonly address: string; seen(): Promise<number>; close(): Promise<void> }

const PROBE = 'probe\n';

async function connectionRecorder(): Promise<ConnectionRecorder> {
  let accepted = 0;
  let probes = 0;
  let probeArrived: (() => void) | undefined;
  const server: Server = createServer((socket) => {
    accepted += 1;
    socket.on('error', () => undefined);
    socket.once('data', (chunk: Buffer) => {
      if (chunk.toString() === PROBE) probeArrived?.();
      socket.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    async seen() {
      await new Promise<void>((resolve, reject) => {
        probeArrived = resolve;
        const probe = createConnection({ host: '127.0.0.1', port }, () => probe.end(PROBE));
        probe.once('error', reject);
      });
      probes += 1;
      return accepted - probes;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Commander's message for a flag value its parser refused. */
const refused = (flag: string, value: string, reason: string): RegExp => new RegExp(
  `option '${flag} <[^>]+>' argument '${escape(value)}' is invalid\\. ${reason}`);
const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface BadInput { readonly args: readonly string[]; readonly message: RegExp; readonly env?: NodeJS.ProcessEnv }

describe('every CLI flag with a bad value exits 2 naming the flag and the value, before any connection or process', () => {
  const dir = newStateDir('cli-flags');
  const file = (name: string, text: string): string => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const sql = file('orders.sql', "CREATE TABLE t (n INT) WITH ('connector' = 'datagen');\n");
  const jar = file('job.jar', 'not really a jar: the CLI only checks that it can read it');
  const emptyJar = file('empty.jar', '');
  const digest = `sha256:${'ab'.repeat(32)}`;
  const empty = file('empty.sql', '');
  const huge = file('huge.sql', `-- ${'x'.repeat(257 * 1024)}\n`);
  const badKeys = file('bad-keys', 'nope\n');
  const shortToken = file('short-token', 'abc\n');
  const folder = join(dir, 'a-folder');
  mkdirSync(folder);
  const missing = join(dir, 'missing.sql');
  const start = ['pipeline', 'start', '--tenant', 'acme', '--name', 'orders'];
  const preview = ['preview', '--tenant', 'acme'];
  const select = ['--sql', 'SELECT 1'];
  const devDir = join(dir, 'dev');

  const cases: Record<string, BadInput> = {
    '--address without a port': { args: ['--address', 'nohost', 'pipeline', 'list'], message: refused('--address', 'nohost', 'must be host:port') },
    '--address with a port out of range': { args: ['--address', '127.0.0.1:99999', 'pipeline', 'list'], message: refused('--address', '127.0.0.1:99999', 'must be a port number from 1 to 65535') },
    'TEMPORAL_ADDRESS without a port': {
      args: ['pipeline', 'list'], env: { TEMPORAL_ADDRESS: '127.0.0.1' },
      message: /option '--address <host:port>' value '127\.0\.0\.1' from env 'TEMPORAL_ADDRESS' is invalid\. must be host:port/,
    },
    '--namespace with a space': { args: ['--namespace', 'my ns', 'pipeline', 'list'], message: refused('--namespace', 'my ns', 'must be 1 to 255 characters without spaces') },
    '--task-queue empty': { args: ['--task-queue', '', 'pipeline', 'list'], message: refused('--task-queue', '', 'must be 1 to 255 characters without spaces') },
    '--ui-url not http': { args: ['--ui-url', 'ftp://ui', 'pipeline', 'list'], message: refused('--ui-url', 'ftp://ui', 'must be an http:// or https:// URL') },
    '--codec-key-file missing': { args: ['--codec-key-file', missing, 'pipeline', 'list'], message: refused('--codec-key-file', missing, `cannot read ${escape(missing)}: ENOENT`) },
    '--codec-key-file without a key': { args: ['--codec-key-file', badKeys, 'pipeline', 'list'], message: refused('--codec-key-file', badKeys, `${escape(badKeys)}: entry 1: must be <id>:<base64 key>`) },
    'pipeline start --sql missing (relative)': { args: [...start, '--sql', 'missing.sql'], message: refused('--sql', 'missing.sql', 'cannot read missing.sql: ENOENT') },
    'pipeline start --sql a folder': { args: [...start, '--sql', folder], message: refused('--sql', folder, `cannot read ${escape(folder)}: EISDIR`) },
    'pipeline start --sql empty': { args: [...start, '--sql', empty], message: refused('--sql', empty, `${escape(empty)} is empty`) },
    'pipeline start --sql over 256 KiB (the spec\'s rule, checked before connecting)': { args: ['--json', ...start, '--sql', huge], message: /spec\.job\.script: must be at most 256 KiB/ },
    'pipeline start --tenant not a DNS label': { args: ['pipeline', 'start', '--tenant', 'Bad_Tenant', '--name', 'x', '--sql', sql], message: refused('--tenant', 'Bad_Tenant', 'must be a DNS-1123 label') },
    'pipeline start --tenant reserved': { args: ['pipeline', 'start', '--tenant', 'fleet', '--name', 'x', '--sql', sql], message: refused('--tenant', 'fleet', '"fleet" is reserved') },
    'pipeline start --name too long': { args: ['pipeline', 'start', '--tenant', 'acme', '--name', 'n'.repeat(41), '--sql', sql], message: refused('--name', 'n'.repeat(41), 'must be at most 40 characters') },
    'pipeline start --parallelism not a number': { args: [...start, '--sql', sql, '--parallelism', 'two'], message: refused('--parallelism', 'two', 'must be a whole number') },
    'pipeline start --parallelism 0': { args: [...start, '--sql', sql, '--parallelism', '0'], message: refused('--parallelism', '0', 'must be at least 1') },
    'pipeline start --parallelism 65': { args: [...start, '--sql', sql, '--parallelism', '65'], message: refused('--parallelism', '65', 'must be at most 64') },
    'pipeline start --cpu not a number': { args: [...start, '--sql', sql, '--cpu', '1e3'], message: refused('--cpu', '1e3', 'must be a number, such as 0.5') },
    'pipeline start --cpu 0': { args: [...start, '--sql', sql, '--cpu', '0'], message: refused('--cpu', '0', 'must be more than 0 cores') },
    'pipeline start --cpu 17': { args: [...start, '--sql', sql, '--cpu', '17'], message: refused('--cpu', '17', 'must be at most 16 cores') },
    'pipeline start --disk-mb 100': { args: [...start, '--sql', sql, '--disk-mb', '100'], message: refused('--disk-mb', '100', 'must be at least 512 MB') },
    'pipeline start --option without a value': { args: [...start, '--sql', sql, '--option', 'state.backend.type'], message: refused('--option', 'state.backend.type', 'must be key=value') },
    'pipeline start --option given twice': { args: [...start, '--sql', sql, '--option', 'state.backend.type=rocksdb', '--option', 'state.backend.type=hashmap'], message: refused('--option', 'state.backend.type=hashmap', 'state.backend.type is given twice') },
    'pipeline start --option a backend Flink would load as a class (the spec\'s rule, checked before connecting)': { args: [...start, '--sql', sql, '--option', 'state.backend.type=org.evil.Factory'], message: /spec\.flinkOptions\["state\.backend\.type"\]: must be one of hashmap, rocksdb, not 'org\.evil\.Factory'/ },
    'pipeline start --egress without a port': { args: [...start, '--sql', sql, '--egress', '203.0.113.7'], message: refused('--egress', '203.0.113.7', 'must be address\\[/prefix\\]:port') },
    'pipeline start --egress a host name': { args: [...start, '--sql', sql, '--egress', 'kafka.example.com:9092'], message: refused('--egress', 'kafka.example.com:9092', 'must be an IPv4 CIDR, such as 203\\.0\\.113\\.7/32 \\(at most 18 characters\\)') },
    'pipeline start --egress the metadata service': { args: [...start, '--sql', sql, '--egress', '169.254.169.254:80'], message: refused('--egress', '169.254.169.254:80', '169\\.254\\.169\\.254/32 overlaps 169\\.254\\.0\\.0/16, which is link-local') },
    'pipeline start --egress a /8': { args: [...start, '--sql', sql, '--egress', '10.0.0.0/8:443'], message: refused('--egress', '10.0.0.0/8:443', 'must be /16 or narrower') },
    'pipeline start --egress port 0': { args: [...start, '--sql', sql, '--egress', '203.0.113.7:0'], message: refused('--egress', '203.0.113.7:0', 'must be a TCP port from 1 to 65535') },
    'pipeline start --egress given twice': { args: [...start, '--sql', sql, '--egress', '203.0.113.7:9092', '--egress', '203.0.113.7/32:9092'], message: refused('--egress', '203.0.113.7/32:9092', '203\\.0\\.113\\.7/32:9092 is given twice') },
    'pipeline start --egress 17 times (the spec\'s rule, checked before connecting)': { args: [...start, '--sql', sql, ...Array.from({ length: 17 }, (_, i) => ['--egress', `203.0.113.${i}:9092`]).flat()], message: /spec\.egress: must be at most 16 endpoints/ },
    'pipeline start --jar a path, not a digest': { args: [...start, '--jar', jar, '--class', 'org.example.Job'], message: refused('--jar', jar, 'must be sha256:<64 lowercase hex digits>') },
    'pipeline start --jar an https URL': { args: [...start, '--jar', 'https://repo.example.com/x.jar', '--class', 'org.example.Job'], message: refused('--jar', 'https://repo.example.com/x.jar', 'must be sha256:') },
    'pipeline start --jar a short digest': { args: [...start, '--jar', 'sha256:abc', '--class', 'org.example.Job'], message: refused('--jar', 'sha256:abc', 'must be sha256:') },
    'pipeline start --class not a class name': { args: [...start, '--jar', digest, '--class', '1bad'], message: refused('--class', '1bad', 'must be a Java class name') },
    'pipeline start --sql and --jar': { args: [...start, '--sql', sql, '--jar', digest, '--class', 'org.example.Job'], message: /give exactly one of --sql FILE or --jar DIGEST/ },
    'pipeline start --jar without --class': { args: [...start, '--jar', digest], message: /--jar needs --class/ },
    'artifact put a missing jar': { args: ['artifact', 'put', '--tenant', 'acme', '--storage', `file://${dir}/storage`, join(dir, 'gone.jar')], message: /command-argument value '.*gone\.jar' is invalid for argument 'jar'\. cannot read .*gone\.jar: ENOENT/ },
    'artifact put an empty jar': { args: ['artifact', 'put', '--tenant', 'acme', '--storage', `file://${dir}/storage`, emptyJar], message: /command-argument value '.*empty\.jar' is invalid for argument 'jar'\. .*empty\.jar is empty/ },
    'artifact put --tenant reserved': { args: ['artifact', 'put', '--tenant', 'fleet', '--storage', `file://${dir}/storage`, jar], message: refused('--tenant', 'fleet', '"fleet" is reserved') },
    'artifact put --storage a relative path': { args: ['artifact', 'put', '--tenant', 'acme', '--storage', 'storage', jar], message: refused('--storage', 'storage', 'must be a storage URI') },
    'artifact put --storage on an object store (not yet)': { args: ['artifact', 'put', '--tenant', 'acme', '--storage', 's3://bucket/fleet', jar], message: /artifact put writes to file:\/\/ storage only, not s3:\/\/bucket\/fleet/ },
    'artifact put without a dev stack or --storage': { args: ['artifact', 'put', '--tenant', 'acme', jar], message: /give --storage <uri> \(or FLEET_STORAGE_URI\)/ },
    'pipeline stop --name not a DNS label': { args: ['pipeline', 'stop', '--tenant', 'acme', '--name', 'Orders'], message: refused('--name', 'Orders', 'must be a DNS-1123 label') },
    'pipeline status --tenant not a DNS label': { args: ['pipeline', 'status', '--tenant', 'a_b', '--name', 'orders'], message: refused('--tenant', 'a_b', 'must be a DNS-1123 label') },
    'pipeline rescale --parallelism 65': { args: ['pipeline', 'rescale', '--tenant', 'acme', '--name', 'orders', '--parallelism', '65'], message: refused('--parallelism', '65', 'must be at most 64') },
    'pipeline list --tenant reserved': { args: ['pipeline', 'list', '--tenant', 'kube-system'], message: refused('--tenant', 'kube-system', '"kube-system" is reserved') },
    'pipeline list --state not a phase': { args: ['pipeline', 'list', '--state', 'Bogus'], message: refused('--state', 'Bogus', 'Allowed choices are') },
    'preview --file missing': { args: [...preview, '--file', missing], message: refused('--file', missing, `cannot read ${escape(missing)}: ENOENT`) },
    'preview --sql empty': { args: [...preview, '--sql', ' '], message: refused('--sql', ' ', 'must not be empty') },
    'preview --sql and --file': { args: [...preview, '--sql', 'SELECT 1', '--file', sql], message: /give exactly one of --sql "..." or --file FILE/ },
    'preview --max-rows 0': { args: [...preview, ...select, '--max-rows', '0'], message: refused('--max-rows', '0', 'must be at least 1') },
    'preview --max-rows 10001': { args: [...preview, ...select, '--max-rows', '10001'], message: refused('--max-rows', '10001', 'must be at most 10000') },
    'preview --max-rows 3x': { args: [...preview, ...select, '--max-rows', '3x'], message: refused('--max-rows', '3x', 'must be a whole number') },
    'preview --timeout soon': { args: [...preview, ...select, '--timeout', 'soon'], message: refused('--timeout', 'soon', 'must be a duration') },
    'preview --timeout 11m': { args: [...preview, ...select, '--timeout', '11m'], message: refused('--timeout', '11m', 'must be from 1s to 600s') },
    'preview --pool not a DNS label': { args: [...preview, ...select, '--pool', 'Bad_Pool'], message: refused('--pool', 'Bad_Pool', 'must be a DNS-1123 label') },
    'pool stats --pool not a DNS label': { args: ['pool', 'stats', '--pool', 'Bad_Pool'], message: refused('--pool', 'Bad_Pool', 'must be a DNS-1123 label') },
    'pool resize not a number': { args: ['pool', 'resize', 'many'], message: /command-argument value 'many' is invalid for argument 'target'\. must be a whole number/ },
    'dev up --port 0': { args: ['dev', 'up', '--port', '0'], message: refused('--port', '0', 'must be a port number from 1 to 65535') },
    'dev up --ui-port not a number': { args: ['dev', 'up', '--ui-port', 'ui'], message: refused('--ui-port', 'ui', 'must be a whole number') },
    'dev up --codec-port 70000': { args: ['dev', 'up', '--codec-port', '70000'], message: refused('--codec-port', '70000', 'must be a port number from 1 to 65535') },
    'dev up --pool-target not a number': { args: ['dev', 'up', '--pool-target', 'x'], message: refused('--pool-target', 'x', 'must be a whole number') },
    'dev up --dir a file': { args: ['dev', 'up', '--dir', sql], message: refused('--dir', sql, `${escape(sql)} exists and is not a directory`) },
    'dev down --dir a file': { args: ['dev', 'down', '--dir', sql], message: refused('--dir', sql, `${escape(sql)} exists and is not a directory`) },
    'dev status --dir a file': { args: ['dev', 'status', '--dir', sql], message: refused('--dir', sql, `${escape(sql)} exists and is not a directory`) },
    'dev logs of something else': { args: ['dev', 'logs', 'kernel'], message: /command-argument value 'kernel' is invalid for argument 'what'\. Allowed choices are worker, temporal, codec-server, cluster/ },
    'dev logs cluster with a bad name': { args: ['dev', 'logs', 'cluster', '../etc'], message: /command-argument value '\.\.\/etc' is invalid for argument 'cluster'\. must be a cluster name/ },
    'dev logs cluster without a name': { args: ['dev', 'logs', 'cluster'], message: /dev logs cluster needs the cluster's name/ },
    'dev logs --lines not a number': { args: ['dev', 'logs', '--lines', 'all'], message: refused('--lines', 'all', 'must be a whole number') },
    'codec-server --port 0': { args: ['codec-server', '--port', '0'], message: refused('--port', '0', 'must be a port number') },
    'codec-server --ui-origin not a URL': { args: ['codec-server', '--ui-origin', 'nope'], message: refused('--ui-origin', 'nope', 'must be an http:// or https:// URL') },
    'codec-server --token-file missing': { args: ['codec-server', '--token-file', missing], message: refused('--token-file', missing, 'cannot read') },
    'codec-server --token-file too short': { args: ['codec-server', '--token-file', shortToken], message: refused('--token-file', shortToken, `${escape(shortToken)} must hold a token of at least 16 characters`) },
  };

  let temporal: ConnectionRecorder;
  before(async () => {
    temporal = await connectionRecorder();
  });
  after(async () => {
    await temporal.close();
  });

  const cliAt = (args: readonly string[], env: NodeJS.ProcessEnv = {}) => runCli(args, { env: { ...process.env, TEMPORAL_ADDRESS: temporal.address, FLEET_DEV_DIR: devDir, ...env } });

  it('the recorder sees the connection of a command with good flags (so its silence below means something)', async () => {
    const { code, stderr } = await cliAt(['pipeline', 'status', '--tenant', 'acme', '--name', 'orders']);
    assert.equal(code, 1, stderr);
    assert.ok(await temporal.seen() > 0, 'the CLI connected to the recorder');
  });

  it('with --json, says the same on stdout as an error object', async () => {
    const { code, stdout } = await cliAt(['--json', ...start, '--sql', 'missing.sql']);
    assert.equal(code, 2);
    assert.deepEqual(JSON.parse(stdout), { error: { type: 'UsageError', message: "option '--sql <file>' argument 'missing.sql' is invalid. cannot read missing.sql: ENOENT" } });
  });

  for (const [name, { args, message, env }] of Object.entries(cases)) {
    it(name, async () => {
      const before = await temporal.seen();
      const { code, stderr } = await cliAt(args, env);
      assert.equal(code, 2, stderr);
      assert.match(stderr, message);
      assert.equal(await temporal.seen(), before, 'no connection to Temporal');
      assert.equal(existsSync(devDir), false, 'no dev stack was started');
    });
  }
});

describe('--egress', () => {
  it('takes a bare address as its /32 and a CIDR as given, in the order given, as the spec\'s endpoints', () => {
    const endpoints = ['203.0.113.7:9092', '198.51.100.0/24:5432'].reduce<DeclaredEndpoint[]>((previous, value) => egressEndpoint(value, previous), []);
    assert.deepEqual(endpoints, [{ cidr: '203.0.113.7/32', port: 9092 }, { cidr: '198.51.100.0/24', port: 5432 }]);
    assert.deepEqual(parsePipelineSpec({ tenant: 'acme', name: 'orders', job: { kind: 'sql', script: 'SELECT 1' }, egress: endpoints }).egress, endpoints);
  });
});
