import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { PayloadDecryptionFailed } from '../../client/codec/aes-gcm-codec';
import { fleetDataConverter } from '../../client/codec/data-converter';
import { newCodecKey, parseCodecKeys, type CodecKeyRing } from '../../client/codec/keys';
import { temporalTestBed } from '../harness/global';

const KEY_A = newCodecKey('key-a');
const KEY_B = newCodecKey('key-b');
const ring = (text: string): CodecKeyRing => parseCodecKeys(text, 'test');
const clientWith = (keys: CodecKeyRing): Client => new Client({ connection: temporalTestBed().env.connection, dataConverter: fleetDataConverter(keys) });

/** Runs `echo(message)` to completion on a worker and a client that both hold `keys`; the history is then written with keys.current. */
async function echoWith(keys: CodecKeyRing, message: string): Promise<string> {
  const { env, workflowBundle } = temporalTestBed();
  const taskQueue = `rotation-${randomUUID().slice(0, 8)}`;
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle, dataConverter: fleetDataConverter(keys) });
  const workflowId = `test/rotation/${taskQueue}`;
  assert.equal(await worker.runUntil(clientWith(keys).workflow.execute('echo', { taskQueue, workflowId, args: [message] })), message);
  return workflowId;
}

describe('payload key rotation on a real Temporal server', () => {
  it('reads a history written with key A after the current key became B, while A is still known', async () => {
    const workflowId = await echoWith(ring(KEY_A), 'written under A');
    assert.equal(await clientWith(ring(`${KEY_B},${KEY_A}`)).workflow.getHandle(workflowId).result(), 'written under A');
  });

  it('writes new histories with B once B is current, readable by a client that knows only B', async () => {
    const workflowId = await echoWith(ring(`${KEY_B},${KEY_A}`), 'written under B');
    assert.equal(await clientWith(ring(KEY_B)).workflow.getHandle(workflowId).result(), 'written under B');
  });

  it('fails, naming the missing key, to read a history written with A when only B is known', async () => {
    const workflowId = await echoWith(ring(KEY_A), 'written under A');
    await assert.rejects(clientWith(ring(KEY_B)).workflow.getHandle(workflowId).result(), (error: unknown) => {
      assert.ok(error instanceof PayloadDecryptionFailed, String(error));
      assert.match(error.message, /^a payload was encrypted with key 'key-a', which is not among the known keys \(key-b\)/);
      return true;
    });
  });
});
