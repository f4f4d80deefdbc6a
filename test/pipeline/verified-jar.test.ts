import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifiedJarCopy } from '../../activities/runtime/local/verified-jar';

const sha256 = (text: string): string => `sha256:${createHash('sha256').update(text).digest('hex')}`;

describe('the local runtime\'s checked copy of a tenant\'s jar', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'verified-jar-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('copies a jar whose bytes have the digest, and hands out the copy', async () => {
    writeFileSync(join(dir, 'area.jar'), 'the jar');
    const result = await verifiedJarCopy(join(dir, 'area.jar'), join(dir, 'job', 'copy.jar'), sha256('the jar'));
    assert.deepEqual(result, { path: join(dir, 'job', 'copy.jar') });
    assert.equal(readFileSync(join(dir, 'job', 'copy.jar'), 'utf8'), 'the jar');
  });

  it('reports the digest it found for other bytes, and keeps no copy (not even a partial one)', async () => {
    writeFileSync(join(dir, 'area.jar'), 'other bytes');
    const result = await verifiedJarCopy(join(dir, 'area.jar'), join(dir, 'job', 'copy.jar'), sha256('the jar'));
    assert.deepEqual(result, { found: sha256('other bytes') });
    assert.deepEqual(readdirSync(join(dir, 'job')), []);
  });

  it('reports a jar that is not there', async () => {
    assert.deepEqual(await verifiedJarCopy(join(dir, 'absent.jar'), join(dir, 'job', 'copy.jar'), sha256('the jar')), { missing: true });
    assert.equal(existsSync(join(dir, 'job')), false);
  });

  it('keeps a copy an earlier attempt checked, though the area changed since (a retried deploy runs what was checked)', async () => {
    writeFileSync(join(dir, 'area.jar'), 'the jar');
    await verifiedJarCopy(join(dir, 'area.jar'), join(dir, 'copy.jar'), sha256('the jar'));
    writeFileSync(join(dir, 'area.jar'), 'swapped later');
    assert.deepEqual(await verifiedJarCopy(join(dir, 'area.jar'), join(dir, 'copy.jar'), sha256('the jar')), { path: join(dir, 'copy.jar') });
    assert.equal(readFileSync(join(dir, 'copy.jar'), 'utf8'), 'the jar');
  });
});
