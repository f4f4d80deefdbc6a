import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { CodecKeyRing } from './keys';

/**
 * Encrypts every payload with AES-256-GCM under the ring's current key. The encrypted payload keeps
 * only `encoding: binary/encrypted` and the key's id in its metadata; the original metadata (which
 * names the payload's type) travels inside the ciphertext.
 *
 * data = iv (12 bytes) ‖ ciphertext ‖ tag (16 bytes); the plaintext is the original payload framed as
 * a 4-byte big-endian length, its metadata as JSON (values base64), then its data bytes. The key id
 * is authenticated data, so a payload cannot be made to claim another key.
 */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const FORMAT = 'flink-fleet/aes-256-gcm/v1';

export class PayloadDecryptionFailed extends Error {
  override readonly name = 'PayloadDecryptionFailed';
}

const text = (bytes: Uint8Array | null | undefined): string | undefined => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

function frame(payload: Payload): Buffer {
  const metadata = Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value).toString('base64')]));
  const head = Buffer.from(JSON.stringify(metadata), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(head.length);
  return Buffer.concat([length, head, payload.data ?? new Uint8Array()]);
}

function unframe(plain: Buffer): Payload {
  const length = plain.readUInt32BE(0);
  const metadata = JSON.parse(plain.subarray(4, 4 + length).toString('utf8')) as Record<string, string>;
  return {
    metadata: Object.fromEntries(Object.entries(metadata).map(([key, value]) => [key, new Uint8Array(Buffer.from(value, 'base64'))])),
    data: new Uint8Array(plain.subarray(4 + length)),
  };
}

export function isEncrypted(payload: Payload): boolean {
  return text(payload.metadata?.encoding) === ENCRYPTED_ENCODING;
}

export class AesGcmPayloadCodec implements PayloadCodec {
  constructor(private readonly keys: CodecKeyRing) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.encrypt(payload));
  }

  /**
   * Payloads without the encrypted encoding pass through: histories written before encryption was
   * turned on stay readable, and Temporal itself adds none to a workflow's own payloads.
   */
  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => (isEncrypted(payload) ? this.decrypt(payload) : payload));
  }

  private encrypt(payload: Payload): Payload {
    const { id, key } = this.keys.current;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(`${FORMAT}:${id}`, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(frame(payload)), cipher.final()]);
    return {
      metadata: { encoding: new Uint8Array(Buffer.from(ENCRYPTED_ENCODING)), [KEY_ID_METADATA]: new Uint8Array(Buffer.from(id)) },
      data: new Uint8Array(Buffer.concat([iv, ciphertext, cipher.getAuthTag()])),
    };
  }

  private decrypt(payload: Payload): Payload {
    const id = text(payload.metadata?.[KEY_ID_METADATA]);
    if (id === undefined) throw new PayloadDecryptionFailed(`an encrypted payload has no ${KEY_ID_METADATA} metadata`);
    const key = this.keys.byId.get(id);
    if (!key) {
      throw new PayloadDecryptionFailed(`a payload was encrypted with key '${id}', which is not among the known keys (${[...this.keys.byId.keys()].join(', ')}); `
        + 'keep retired keys after the current one in FLEET_CODEC_KEY_FILE or FLEET_CODEC_KEYS');
    }
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < IV_BYTES + TAG_BYTES) throw new PayloadDecryptionFailed(`an encrypted payload (key '${id}') is too short to be one`);
    const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(`${FORMAT}:${id}`, 'utf8'));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    try {
      return unframe(Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]));
    } catch {
      throw new PayloadDecryptionFailed(`a payload encrypted with key '${id}' does not authenticate: the key with that id differs from the one that encrypted it, or the payload was altered`);
    }
  }
}
