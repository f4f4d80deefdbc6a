import { strict as assert } from 'node:assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startS3Gateway, type S3Gateway } from '../../client/dev/s3-gateway';
import { s3 } from './s3-curl';
import { isRunning } from '../../activities/runtime/local/processes';
import { trackProcess } from '../harness/processes';
import { newStateDir } from '../harness/state';

describe('the S3 gateway of the test bed', function () {
  this.timeout(60_000);
  let gateway: S3Gateway;
  let dir: string;

  before(async () => {
    dir = newStateDir('s3-gateway');
    gateway = await startS3Gateway({ dataDir: dir, host: '127.0.0.1', buckets: ['fleet'] });
    trackProcess(gateway.pid, 'S3 gateway', 'file');
  });

  after(async () => {
    await gateway?.stop();
  });

  it('stores an object put over S3 as a file at objectPath, and lists its bucket', () => {
    const file = join(dir, 'hello.txt');
    writeFileSync(file, 'a checkpoint, say\n');
    assert.equal(s3(gateway, gateway.root, 'PUT', '/fleet/tenant-a/checkpoints/chk-1/_metadata', file).status, 200);
    assert.equal(readFileSync(gateway.objectPath('s3://fleet/tenant-a/checkpoints/chk-1/_metadata'), 'utf8'), 'a checkpoint, say\n');
    const listing = s3(gateway, gateway.root, 'GET', '/');
    assert.equal(listing.status, 200);
    assert.match(listing.body, /<Name>fleet<\/Name>/);
  });

  it('refuses a request signed with a wrong secret', () => {
    const wrong = { accessKeyId: gateway.root.accessKeyId, secretAccessKey: 'not-the-secret' };
    const answer = s3(gateway, wrong, 'GET', '/fleet?list-type=2');
    assert.equal(answer.status, 403);
    assert.match(answer.body, /SignatureDoesNotMatch/);
  });

  it('stops with its process', async () => {
    await gateway.stop();
    assert.equal(isRunning(gateway.pid), false);
  });
});
