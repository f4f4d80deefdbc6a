import assert from 'node:assert/strict';
import { defaultPayloadConverter } from '@temporalio/common';
import { AesGcmPayloadCodec, KEY_ID_METADATA, PayloadDecryptionFailed } from '../../client/codec/aes-gcm-codec';
import { newCodecKey, parseCodecKeys } from '../../client/codec/keys';

const A = newCodecKey('key-a');
const B = newCodecKey('key-b');
const secret = { sql: "CREATE TABLE t (x INT) WITH ('password' = 'hunter2')", rows: [['row-value-42']] };

describe('the AES-256-GCM payload codec', () => {
  it('encrypts a payload so that neither its data nor its type is readable, and decrypts it back', async () => {
    const codec = new AesGcmPayloadCodec(parseCodecKeys(A, 'a'));
    const payload = defaultPayloadConverter.toPayload(secret);
    const [encrypted] = await codec.encode([payload]);
    assert.ok(encrypted);
    const raw = Buffer.from(encrypted.data ?? []).toString('latin1');
    assert.ok(!raw.includes('hunter2') && !raw.includes('row-value-42') && !raw.includes('json/plain'));
    assert.deepEqual(Object.keys(encrypted.metadata ?? {}).sort(), ['encoding', KEY_ID_METADATA]);
    assert.equal(Buffer.from(encrypted.metadata?.[KEY_ID_METADATA] ?? []).toString(), 'key-a');
    const [decrypted] = await codec.decode([encrypted]);
    assert.deepEqual(defaultPayloadConverter.fromPayload(decrypted ?? {}), secret);
  });

  it('uses a fresh IV each time: the same value encrypts differently', async () => {
    const codec = new AesGcmPayloadCodec(parseCodecKeys(A, 'a'));
    const payload = defaultPayloadConverter.toPayload(secret);
    const [one, two] = await codec.encode([payload, payload]);
    assert.notDeepEqual(one?.data, two?.data);
  });

  it('after a rotation decrypts with the retired key and encrypts with the new one', async () => {
    const [old] = await new AesGcmPayloadCodec(parseCodecKeys(A, 'a')).encode([defaultPayloadConverter.toPayload(secret)]);
    const rotated = new AesGcmPayloadCodec(parseCodecKeys(`${B},${A}`, 'b then a'));
    assert.deepEqual(defaultPayloadConverter.fromPayload((await rotated.decode([old ?? {}]))[0] ?? {}), secret);
    const [fresh] = await rotated.encode([defaultPayloadConverter.toPayload(secret)]);
    assert.equal(Buffer.from(fresh?.metadata?.[KEY_ID_METADATA] ?? []).toString(), 'key-b');
  });

  it('names the unknown key when the key that encrypted a payload is gone', async () => {
    const [old] = await new AesGcmPayloadCodec(parseCodecKeys(A, 'a')).encode([defaultPayloadConverter.toPayload(secret)]);
    await assert.rejects(new AesGcmPayloadCodec(parseCodecKeys(B, 'b')).decode([old ?? {}]), (error: unknown) => {
      assert.ok(error instanceof PayloadDecryptionFailed);
      assert.match(error.message, /^a payload was encrypted with key 'key-a', which is not among the known keys \(key-b\)/);
      return true;
    });
  });

  it('refuses a payload whose key id was swapped or whose bytes were altered', async () => {
    const sameId = newCodecKey('key-a');
    const [encrypted] = await new AesGcmPayloadCodec(parseCodecKeys(A, 'a')).encode([defaultPayloadConverter.toPayload(secret)]);
    await assert.rejects(new AesGcmPayloadCodec(parseCodecKeys(sameId, 'other')).decode([encrypted ?? {}]), /with key 'key-a' does not authenticate/);
    const altered = Buffer.from(encrypted?.data ?? []);
    altered[20] = (altered[20] ?? 0) ^ 1;
    await assert.rejects(new AesGcmPayloadCodec(parseCodecKeys(A, 'a')).decode([{ ...encrypted, data: new Uint8Array(altered) }]), PayloadDecryptionFailed);
  });

  it('passes through a payload written before encryption was turned on', async () => {
    const plain = defaultPayloadConverter.toPayload(secret);
    assert.deepEqual(await new AesGcmPayloadCodec(parseCodecKeys(A, 'a')).decode([plain]), [plain]);
  });
});
