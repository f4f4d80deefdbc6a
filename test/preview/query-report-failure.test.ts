import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { FlinkRestClient } from '../../activities/flink/rest-client';
import type { SqlGatewayClient, SqlResultPage } from '../../activities/flink/sql-gateway-client';
import { runPreviewQuery } from '../../activities/preview/query';

const JOB = 'f'.repeat(32);

/**
 * A unit test of one module with test doubles for its I/O: the Temporal server is down when the
 * preview reports where its job landed (seen in the chaos suite's server restart, where the worker
 * process died of the unhandled rejection and the preview never ended).
 */
describe('the preview query activity when a progress report fails', () => {
  it('fails its attempt with the report\'s error, while the worker process lives on', async () => {
    const page = (resultType: SqlResultPage['resultType'], rows: SqlResultPage['rows'] = []): SqlResultPage => ({ resultType, columns: [], rows, jobId: JOB });
    const gateway = {
      openSession: async () => 'session',
      closeSession: async () => undefined,
      executeStatement: async () => 'operation',
      async *results() {
        yield page('PAYLOAD');
        // The job's TaskManagers are reported meanwhile, and that report fails.
        await sleep(500);
        yield page('EOS', [{ kind: 'INSERT', fields: [1] }]);
      },
    } as unknown as SqlGatewayClient;
    const rest = {
      taskManagers: async () => [{ id: 'tm-1', slotsNumber: 1, freeSlots: 0 }],
      taskManager: async () => ({ id: 'tm-1', jobIds: [JOB] }),
      jobTaskManagers: async () => ['tm-1'],
    } as unknown as FlinkRestClient;
    const serverDown = new Error('tcp connect error');
    const client = {
      workflow: { getHandle: () => ({
        signal: async (_signal: unknown, progress: { taskManagerIds?: string[] }) => {
          if (progress.taskManagerIds) throw serverDown;
        },
      }) },
      withAbortSignal: <T>(_signal: AbortSignal, run: () => T): T => run(),
    } as unknown as Client;
    const unhandled: unknown[] = [];
    const record = (reason: unknown): void => {
      unhandled.push(reason);
    };
    // Mocha's own handler would fail this test anyway; recorded too, to say why.
    process.prependListener('unhandledRejection', record);
    try {
      const attempt = new MockActivityEnvironment({}, { client }).run(runPreviewQuery, { gateway, rest },
        { tenant: 'acme', name: 'fleet-pool', workflowId: 'preview/acme/x', setup: [], query: 'SELECT 1', deadline: Date.now() + 30_000, maxRows: 10, maxBytes: 1 << 20 }, Date.now());
      await assert.rejects(attempt, (error: Error) => error.message.includes('tcp connect error'));
      await sleep(50);
      assert.deepEqual(unhandled, [], 'no rejection was left unhandled');
    } finally {
      process.off('unhandledRejection', record);
    }
  });
});
