import assert from 'node:assert/strict';
import { Worker } from '@temporalio/worker';
import { fleetDataConverter } from '../../client/codec/data-converter';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { startTemporalDevServer } from '../../client/dev/temporal-dev-server';
import { toolchain } from '../../scripts/toolchain';
import { FLEET_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { temporalTestBed } from '../harness/global';
import { newStateDir } from '../harness/state';

describe('the Temporal dev server of the test run', () => {
  it('has the fleet search attributes registered as Keyword', async () => {
    const { env } = temporalTestBed();
    const { customAttributes } = await env.connection.operatorService.listSearchAttributes({ namespace: env.namespace ?? 'default' });
    for (const key of FLEET_SEARCH_ATTRIBUTES) {
      // 2 is INDEXED_VALUE_TYPE_KEYWORD in Temporal's enum.
      assert.equal(customAttributes[key.name], 2, `${key.name} should be a Keyword search attribute`);
    }
  });

  it('runs a workflow on a worker that uses the run-wide bundle and payload key', async () => {
    const { env, workflowBundle, codecKeys } = temporalTestBed();
    const taskQueue = `echo-${Date.now()}`;
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle, dataConverter: fleetDataConverter(codecKeys) });
    const result = await worker.runUntil(env.client.workflow.execute('echo', {
      taskQueue, workflowId: `test/echo/${taskQueue}`, args: ['hello fleet'],
    }));
    assert.equal(result, 'hello fleet');
  });

  it('fails at once, naming the taken address, when the port it was given is taken (and does not try another)', async () => {
    const squatter: Server = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const { port } = squatter.address() as { port: number };
    try {
      await assert.rejects(
        startTemporalDevServer({ binary: toolchain().temporalBinary, stateDir: join(newStateDir('temporal-port'), 'temporal'), port }),
        (error: Error) => /Temporal dev server exited/.test(error.message) && error.message.includes(`127.0.0.1:${port}: bind: address already in use`),
      );
    } finally {
      squatter.close();
    }
  });
});
