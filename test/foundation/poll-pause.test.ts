import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { pollPause } from '../../activities/heartbeat';
import { collectGarbage } from '../harness/gc';

/** The timers `work` creates, held weakly: those still reachable after a full collection were kept by someone. */
async function timersKeptBy(work: () => Promise<void>): Promise<number> {
  const created: WeakRef<object>[] = [];
  const original = global.setTimeout;
  global.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
    const timer = original(...args);
    created.push(new WeakRef(timer));
    return timer;
  }) as typeof setTimeout;
  try {
    await work();
  } finally {
    global.setTimeout = original;
  }
  await nextTurn(); // a WeakRef keeps its target until the turn that made it is over
  collectGarbage();
  return created.filter((ref) => ref.deref() !== undefined).length;
}

describe('a polling activity\'s pause', () => {
  it('keeps nothing once it is over, however long the activity polls', async () => {
    const env = new MockActivityEnvironment();
    let kept = -1;
    let listeners = -1;
    await env.run(async () => {
      const signal = Context.current().cancellationSignal;
      const before = getEventListeners(signal, 'abort').length;
      kept = await timersKeptBy(async () => {
        for (let i = 0; i < 50; i += 1) await pollPause(0, { i });
      });
      listeners = getEventListeners(signal, 'abort').length - before;
    });
    // The SDK's Context.sleep kept all 50: each chained its timer onto the activity's cancellation.
    assert.equal(kept, 0, 'timers of past pauses still reachable');
    assert.equal(listeners, 0, 'cancellation listeners left by past pauses');
  });

  it('ends at once with the activity\'s cancellation', async () => {
    const env = new MockActivityEnvironment();
    // An hour's pause: had it run out, it would have resolved, not rejected.
    const paused = env.run(async () => pollPause(3_600_000));
    setTimeout(() => env.cancel(), 50);
    await assert.rejects(paused, (error: unknown) => error instanceof CancelledFailure);
  });
});
