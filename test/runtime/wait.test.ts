import assert from 'node:assert/strict';
import { messageWithCauses, waitUntil } from '../../activities/runtime/local/wait';

describe('waiting for something to be ready', () => {
  it('names, when it gives up, the last error with its causes: the call that failed and why', async () => {
    const failing = async (): Promise<undefined> => {
      throw new Error('Failed to query Workflow', { cause: new Error('9 FAILED_PRECONDITION: no poller seen for task queue recently') });
    };
    await assert.rejects(waitUntil('the workflow to run', failing, { timeoutMs: 50, intervalMs: 10 }), {
      name: 'ReadinessTimeout',
      message: 'the workflow to run not ready after 50 ms (last error: Failed to query Workflow: 9 FAILED_PRECONDITION: no poller seen for task queue recently)',
    });
  });

  it('gives a message without causes as it is, and stops following a chain that loops', () => {
    assert.equal(messageWithCauses(new Error('refused')), 'refused');
    assert.equal(messageWithCauses('a string'), 'a string');
    const loop = new Error('a');
    const b = new Error('b', { cause: loop });
    (loop as { cause?: unknown }).cause = b;
    assert.equal(messageWithCauses(loop), 'a: b: a: b: a');
  });
});
