import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { codecKeysFrom, ensureCodecKeyFile, InvalidCodecKeys, newCodecKey, parseCodecKeys } from '../../client/codec/keys';
import { newStateDir } from '../harness/state';

const KEY_A = Buffer.alloc(32, 1).toString('base64');
const KEY_B = Buffer.alloc(32, 2).toString('base64');

describe('payload keys', () => {
  it('takes the first entry as the current key and keeps the others for decrypting', () => {
    const ring = parseCodecKeys(`# rotated on 2026-01-01\nk2:${KEY_B}\n\nk1:${KEY_A}\n`, 'test');
    assert.equal(ring.current.id, 'k2');
    assert.deepEqual([...ring.byId.keys()], ['k2', 'k1']);
    assert.deepEqual(ring.byId.get('k1'), Buffer.alloc(32, 1));
  });

  it('reads the comma-separated form of an environment variable', () => {
    const ring = codecKeysFrom({ FLEET_CODEC_KEYS: `k2:${KEY_B},k1:${KEY_A}` });
    assert.deepEqual(ring && [...ring.byId.keys()], ['k2', 'k1']);
  });

  it('refuses a key of the wrong length, naming the key and the length needed, without echoing it', () => {
    const short = Buffer.alloc(16, 7).toString('base64');
    assert.throws(() => parseCodecKeys(`k1:${KEY_A}\nold:${short}`, 'FLEET_CODEC_KEYS'), (error: unknown) => {
      assert.ok(error instanceof InvalidCodecKeys);
      assert.equal(error.message, "FLEET_CODEC_KEYS: entry 2 (key 'old'): the key is 16 bytes; AES-256-GCM needs exactly 32 (make one with `openssl rand -base64 32`)");
      return true;
    });
  });

  it('refuses entries that are not <id>:<base64>, ids given twice, and an empty file', () => {
    assert.throws(() => parseCodecKeys(KEY_A, 's'), /s: entry 1: must be <id>:<base64 key>/);
    assert.throws(() => parseCodecKeys(`bad id:${KEY_A}`, 's'), /key id must be 1-64 letters/);
    assert.throws(() => parseCodecKeys('k1:not base64!', 's'), /s: entry 1 \(key 'k1'\): the key must be base64/);
    assert.throws(() => parseCodecKeys(`k1:${KEY_A}\nk1:${KEY_B}`, 's'), /key id 'k1' is given twice/);
    assert.throws(() => parseCodecKeys('# nothing\n', 's'), /s: holds no key/);
  });

  it('refuses both sources at once, and names an unreadable file', () => {
    assert.throws(() => codecKeysFrom({ FLEET_CODEC_KEYS: `k1:${KEY_A}`, FLEET_CODEC_KEY_FILE: '/x' }), /FLEET_CODEC_KEYS and FLEET_CODEC_KEY_FILE are both set/);
    assert.throws(() => codecKeysFrom({ FLEET_CODEC_KEY_FILE: '/nonexistent/keys' }), /FLEET_CODEC_KEY_FILE: cannot read \/nonexistent\/keys: ENOENT/);
    assert.equal(codecKeysFrom({}), undefined);
  });

  it('makes a dev key file once, readable by its owner only, and keeps it', () => {
    const file = join(newStateDir('codec-keys'), 'codec-keys');
    ensureCodecKeyFile(file, 'dev-1');
    const first = codecKeysFrom({ FLEET_CODEC_KEY_FILE: file });
    assert.equal(statSync(file).mode & 0o777, 0o600);
    ensureCodecKeyFile(file, 'dev-2');
    assert.deepEqual(codecKeysFrom({ FLEET_CODEC_KEY_FILE: file }), first);
    writeFileSync(file, `${newCodecKey('next')}\n`);
    assert.equal(codecKeysFrom({ FLEET_CODEC_KEY_FILE: file })?.current.id, 'next');
  });
});
