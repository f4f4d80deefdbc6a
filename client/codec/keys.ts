import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * The AES-256 keys that encrypt workflow payloads, by id. The first is the current one (new payloads
 * are encrypted with it); the others only decrypt, so that histories written before a rotation still
 * read. Text form, for a file (one entry a line, `#` comments) or an environment variable (entries
 * separated by commas): `<id>:<base64 of 32 bytes>`, the current key first.
 */
export interface CodecKey {
  readonly id: string;
  readonly key: Buffer;
}

export interface CodecKeyRing {
  readonly current: CodecKey;
  /** Every known key by id, the current one included. */
  readonly byId: ReadonlyMap<string, Buffer>;
}

export const AES_256_KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export class InvalidCodecKeys extends Error {
  override readonly name = 'InvalidCodecKeys';
}

/** Never echoes key material: a message names the source and the entry's position or id only. */
export function parseCodecKeys(text: string, source: string): CodecKeyRing {
  const entries = text.split('\n').filter((line) => !line.trim().startsWith('#'))
    .flatMap((line) => line.split(',')).map((entry) => entry.trim()).filter((entry) => entry.length > 0);
  if (entries.length === 0) throw new InvalidCodecKeys(`${source}: holds no key; expected <id>:<base64 of 32 bytes>, e.g. made by \`openssl rand -base64 32\``);
  const keys = entries.map((entry, index) => parseEntry(entry, `${source}: entry ${index + 1}`));
  const byId = new Map<string, Buffer>();
  for (const { id, key } of keys) {
    if (byId.has(id)) throw new InvalidCodecKeys(`${source}: key id '${id}' is given twice`);
    byId.set(id, key);
  }
  return { current: keys[0] as CodecKey, byId };
}

function parseEntry(entry: string, where: string): CodecKey {
  const colon = entry.indexOf(':');
  if (colon < 0) throw new InvalidCodecKeys(`${where}: must be <id>:<base64 key>`);
  const id = entry.slice(0, colon).trim();
  const encoded = entry.slice(colon + 1).trim();
  if (!KEY_ID.test(id)) throw new InvalidCodecKeys(`${where}: key id must be 1-64 letters, digits, '.', '_' or '-'`);
  if (!BASE64.test(encoded)) throw new InvalidCodecKeys(`${where} (key '${id}'): the key must be base64`);
  const key = Buffer.from(encoded, 'base64');
  if (key.length !== AES_256_KEY_BYTES) {
    throw new InvalidCodecKeys(`${where} (key '${id}'): the key is ${key.length} bytes; AES-256-GCM needs exactly ${AES_256_KEY_BYTES} (make one with \`openssl rand -base64 32\`)`);
  }
  return { id, key };
}

/** The two ways to give the keys; both at once is refused, as it would be unclear which wins. */
export interface CodecKeySources {
  /** The keys themselves, comma-separated. */
  readonly FLEET_CODEC_KEYS?: string;
  /** A file of keys, one a line. */
  readonly FLEET_CODEC_KEY_FILE?: string;
}

/** The key ring the sources name, or undefined when they name none. */
export function codecKeysFrom(sources: CodecKeySources): CodecKeyRing | undefined {
  const inline = sources.FLEET_CODEC_KEYS?.trim() ? sources.FLEET_CODEC_KEYS : undefined;
  const file = sources.FLEET_CODEC_KEY_FILE?.trim() ? sources.FLEET_CODEC_KEY_FILE : undefined;
  if (inline !== undefined && file !== undefined) throw new InvalidCodecKeys('FLEET_CODEC_KEYS and FLEET_CODEC_KEY_FILE are both set; set one');
  if (inline !== undefined) return parseCodecKeys(inline, 'FLEET_CODEC_KEYS');
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new InvalidCodecKeys(`FLEET_CODEC_KEY_FILE: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return parseCodecKeys(text, `FLEET_CODEC_KEY_FILE ${file}`);
}

export function requireCodecKeys(sources: CodecKeySources): CodecKeyRing {
  const keys = codecKeysFrom(sources);
  if (keys) return keys;
  throw new InvalidCodecKeys('no payload encryption key: set FLEET_CODEC_KEY_FILE (a file of <id>:<base64 key> lines, the current key first) '
    + 'or FLEET_CODEC_KEYS (the same, comma-separated); make a key with `openssl rand -base64 32`');
}

export function newCodecKey(id: string): string {
  return `${id}:${randomBytes(AES_256_KEY_BYTES).toString('base64')}`;
}

/** For the dev stack: a key file made once and kept, so that the history in its database stays readable. */
export function ensureCodecKeyFile(path: string, id: string): void {
  if (existsSync(path)) return;
  writeFileSync(path, `# flink-fleet payload keys: <id>:<base64 key>, the current key first\n${newCodecKey(id)}\n`, { mode: 0o600 });
  // writeFileSync's mode is masked by the umask; the key is for this user alone.
  chmodSync(path, 0o600);
}
