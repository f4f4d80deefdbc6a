import assert from 'node:assert/strict';
import { percentile } from '../../workflows/pool/percentile';
import {
  emptyPool, grantOf, grantWaiting, idleCount, markKilled, markReady, markStarting, poolStats, reconcile, release, requestClaim, startsNeeded,
  surplus, type PoolState,
} from '../../workflows/pool/state';

function poolWith(ready: string[], target = ready.length): PoolState {
  const state = emptyPool(target);
  for (const id of ready) {
    markStarting(state, id);
    markReady(state, id);
  }
  return state;
}

const claim = (id: string) => ({ claimId: id, previewWorkflowId: `preview/acme/${id}` });
const quiet = { checked: [], alive: [], unknown: [], orphans: [], goneClaims: [] };

describe('the idle pool\'s books', () => {
  it('grants a claim at once when a TaskManager is idle, and counts a hit', () => {
    const state = poolWith(['a', 'b']);
    const granted = requestClaim(state, claim('c1'), 1_000);
    assert.deepEqual(grantOf(granted), { claimId: 'c1', hit: true, waitMs: 0 });
    assert.equal(idleCount(state), 1);
    assert.equal(startsNeeded(state, 10), 1, 'a replacement for the reserved one starts at once');
  });

  it('answers a repeated claim id with the same grant, not a second TaskManager', () => {
    const state = poolWith(['a', 'b']);
    requestClaim(state, claim('c1'), 1_000);
    requestClaim(state, claim('c1'), 1_500);
    assert.equal(idleCount(state), 1);
    assert.equal(state.hits, 1);
  });

  it('makes a claim wait when nothing is idle and grants it as a miss once a TaskManager registers', () => {
    const state = poolWith([], 0);
    const waiting = requestClaim(state, claim('c1'), 1_000);
    assert.equal(grantOf(waiting), undefined);
    assert.equal(startsNeeded(state, 10), 1);
    markStarting(state, 'a');
    assert.equal(startsNeeded(state, 10), 0);
    markReady(state, 'a');
    grantWaiting(state, 4_500);
    assert.deepEqual(grantOf(waiting), { claimId: 'c1', hit: false, waitMs: 3_500 });
    assert.deepEqual([state.hits, state.misses], [0, 1]);
  });

  it('kills exactly the TaskManagers a preview reports, even when its job landed on another idle one', () => {
    const state = poolWith(['a', 'b']);
    requestClaim(state, claim('c1'), 0);
    requestClaim(state, claim('c2'), 0);
    // c1's job landed on b; c2's on a: capacity, not identity, was reserved.
    release(state, 'c1', ['b']);
    assert.deepEqual(state.ready, ['a']);
    assert.deepEqual(state.doomed, ['b']);
    assert.equal(idleCount(state), 0, 'a still runs c2\'s job');
    release(state, 'c2', ['a']);
    assert.deepEqual(state.doomed, ['b', 'a']);
    assert.equal(startsNeeded(state, 10), 2);
    markKilled(state, ['b', 'a']);
    assert.deepEqual([state.doomed, state.killed], [[], 2]);
  });

  it('counts a used TaskManager once when a reconcile found it dead before the preview\'s release came', () => {
    const state = poolWith(['a', 'b']);
    requestClaim(state, claim('c1'), 0);
    // The preview killed a itself; the pool looked before its release signal arrived.
    reconcile(state, { ...quiet, checked: ['a', 'b'], alive: ['b'] });
    markKilled(state, ['a']);
    release(state, 'c1', ['a']);
    assert.deepEqual([state.ready, state.doomed, state.killed], [['b'], [], 1]);
  });

  it('gives the capacity back when a preview ends without its job running anywhere', () => {
    const state = poolWith(['a']);
    requestClaim(state, claim('c1'), 0);
    release(state, 'c1', []);
    assert.deepEqual([idleCount(state), state.doomed.length], [1, 0]);
  });

  it('never starts more than maxTaskManagers', () => {
    const state = poolWith([], 2);
    for (const id of ['c1', 'c2', 'c3']) requestClaim(state, claim(id), 0);
    assert.equal(startsNeeded(state, 4), 4);
    assert.equal(startsNeeded(state, 3), 3);
  });

  it('replaces a dead idle TaskManager, kills unknown and orphaned ones, and drops claims whose preview is gone', () => {
    const state = poolWith(['a', 'b', 'c']);
    requestClaim(state, claim('c1'), 0);
    reconcile(state, { ...quiet, checked: ['a', 'b', 'c'], alive: ['b', 'c', 'x'], unknown: ['x'], orphans: ['c'], goneClaims: ['c1'] });
    assert.deepEqual(state.ready, ['b']);
    assert.deepEqual(state.doomed.sort(), ['a', 'c', 'x']);
    assert.equal(state.claims.length, 0);
  });

  it('does not judge a TaskManager that became ready after the observation began', () => {
    const state = poolWith(['a', 'b']);
    reconcile(state, { ...quiet, checked: ['a'], alive: ['a'] });
    assert.deepEqual(state.ready, ['a', 'b']);
  });

  it('shrinks to a smaller target only while no preview runs', () => {
    const state = poolWith(['a', 'b', 'c'], 1);
    requestClaim(state, claim('c1'), 0);
    assert.deepEqual(surplus(state), []);
    release(state, 'c1', []);
    assert.deepEqual(surplus(state), ['b', 'c']);
  });

  it('reports the percentiles of claim waits', () => {
    const state = poolWith([], 0);
    for (let i = 0; i < 10; i++) {
      requestClaim(state, claim(`c${i}`), 0);
      markStarting(state, `t${i}`);
      markReady(state, `t${i}`);
      grantWaiting(state, (i + 1) * 100);
    }
    const stats = poolStats(state);
    assert.deepEqual([stats.claimWaitP50Ms, stats.claimWaitP95Ms, stats.misses, stats.busy], [500, 1_000, 10, 10]);
    assert.equal(percentile([], 50), undefined);
  });
});
