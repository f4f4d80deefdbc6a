/**
 * A bench in miniature: it starts a detached worker as bench/worker-process.ts does, prints the
 * worker's pid, and waits to be killed. worker-process.test.ts sends it SIGTERM.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newCodecKey } from '../../client/codec/keys';
import { startWorkerProcess } from '../../bench/worker-process';

const [address, taskQueue] = process.argv.slice(2) as [string, string];
const root = mkdtempSync(join(process.env.FLEET_OWNER_DIR ?? tmpdir(), 'bench-owner-'));
const pid = startWorkerProcess(root, { address, taskQueue, codecKeys: newCodecKey('bench-owner') });
process.stdout.write(`${pid}\n`);
setInterval(() => undefined, 60_000);
