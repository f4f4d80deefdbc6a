import assert from 'node:assert/strict';
import { Worker } from '@temporalio/worker';
import { fleetDataConverter } from '../../client/codec/data-converter';
import { temporalTestBed } from '../harness/global';
import { stopLeftWorkers, trackWorker } from '../harness/in-process-workers';

async function echoWorker(taskQueue: string): Promise<Worker> {
  const { env, workflowBundle, codecKeys } = temporalTestBed();
  return Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle, dataConverter: fleetDataConverter(codecKeys) });
}

describe('the in-process workers a test leaves running', () => {
  it('are stopped and named at the end of their scope, while a finished one is not named', async () => {
    const stamp = Date.now();
    const finished = await echoWorker(`finished-${stamp}`);
    const finishedRun = finished.runUntil(Promise.resolve());
    trackWorker(finished, `finished-${stamp}`, 'test', finishedRun);
    await finishedRun;

    // The body of a test that timed out: it never ends, and mocha no longer waits for it.
    const abandoned = await echoWorker(`abandoned-${stamp}`);
    trackWorker(abandoned, `abandoned-${stamp}`, 'test', abandoned.runUntil(new Promise(() => undefined)));
    const pool = await echoWorker(`pool-${stamp}`);
    trackWorker(pool, `pool-${stamp}`, 'file', pool.run());

    assert.deepEqual(await stopLeftWorkers('test'), [`an in-process worker on task queue abandoned-${stamp} (now stopped)`]);
    assert.equal(abandoned.getState(), 'STOPPED');
    assert.equal(pool.getState(), 'RUNNING', 'a file\'s worker outlives the test');

    assert.deepEqual(await stopLeftWorkers('file'), [`an in-process worker on task queue pool-${stamp} (now stopped)`]);
    assert.equal(pool.getState(), 'STOPPED');
    assert.deepEqual(await stopLeftWorkers('file'), []);
  });
});
