import assert from 'node:assert/strict';
import { parsePoolConfig } from '../../workflows/pool/config';
import type { PoolAutoSize } from '../../workflows/pool/api';
import { emptyDemand, hostMaxTarget, recordClaim, recordDecision, recordStarted, recordStarting, sizeFor, sizingOf, type PoolDemand } from '../../workflows/pool/sizing';

const AUTO: PoolAutoSize = { minTarget: 1, windowSeconds: 60, quietSeconds: 300, headroom: 1.5 };
const T0 = Date.parse('2026-11-27T12:00:00Z');

/** A pool begun an hour before T0. */
function demandWith(claimsAt: readonly number[], startMs: readonly number[]): PoolDemand {
  const demand = emptyDemand(T0 - 3_600_000);
  for (const at of claimsAt) recordClaim(demand, at, AUTO.windowSeconds * 1000);
  demand.startMs = [...startMs];
  return demand;
}

describe('a pool sizing itself by its claims', () => {
  it('keeps its floor while nobody claims, and the target it began with for quietSeconds', () => {
    assert.equal(sizeFor(emptyDemand(T0), 1, AUTO, 8, T0), undefined);
    assert.equal(sizeFor(emptyDemand(T0), 2, AUTO, 8, T0 + 299_000), undefined);
    assert.equal(sizeFor(emptyDemand(T0), 2, AUTO, 8, T0 + 300_000)?.to, 1);
  });

  it('raises its target at once for a burst, to claim rate × TaskManager start × headroom, capped at maxTarget', () => {
    // 4 claims in 2 s, TaskManagers starting in 4 s: 4 claims per two starts (8 s) × 4 s × 1.5 = 3.
    const burst = demandWith([T0, T0 + 500, T0 + 1000, T0 + 2000], [4000, 4000, 4000]);
    const raised = sizeFor(burst, 1, AUTO, 8, T0 + 2000);
    assert.deepEqual({ from: raised?.from, to: raised?.to }, { from: 1, to: 3 });
    assert.match(raised?.reason ?? '', /4 claims in the last 60 s .* a TaskManager starts in 4\.0 s: 3 idle keep up with ×1\.5 headroom$/);
    const capped = sizeFor(burst, 1, AUTO, 2, T0 + 2000);
    assert.equal(capped?.to, 2);
    assert.match(capped?.reason ?? '', /capped at maxTarget 2/);
    // A claim every 1.5 s kept up for a minute: 40 claims per 59 s × 4 s × 1.5 ≈ 4.1, so 5.
    const sustained = demandWith(Array.from({ length: 40 }, (_, i) => T0 + i * 1500), [4000]);
    assert.equal(sizeFor(sustained, 1, AUTO, 8, T0 + 59_000)?.to, 5);
  });

  it('assumes a start time before any TaskManager of its own has started', () => {
    // 2 claims at once, the assumed 5 s start: 2 / 10 s × 5 s × 1.5 = 1.5, so 2.
    assert.equal(sizeFor(demandWith([T0, T0 + 100], []), 1, AUTO, 8, T0 + 100)?.to, 2);
    // One claim alone asks for no more than the one that served it: 1 / 10 s × 5 s × 1.5 = 0.75.
    assert.equal(sizeFor(demandWith([T0], []), 1, AUTO, 8, T0), undefined);
  });

  it('needs nothing more for a trickle the idle ones already serve', () => {
    // 3 claims over 50 s, 4 s starts: 3 / 50 s × 4 s × 1.5 = 0.36, so 1.
    assert.equal(sizeFor(demandWith([T0, T0 + 25_000, T0 + 50_000], [4000]), 1, AUTO, 8, T0 + 50_000), undefined);
  });

  it('comes down only after quietSeconds without a raise, to its floor when the window is empty', () => {
    const demand = demandWith([T0, T0 + 500, T0 + 1000, T0 + 2000], [4000]);
    const raised = sizeFor(demand, 1, AUTO, 8, T0 + 2000);
    assert.ok(raised);
    recordDecision(demand, raised, T0 + 2000);
    assert.equal(sizeFor(demand, raised.to, AUTO, 8, T0 + 2000 + 120_000), undefined, 'two quiet minutes are not five');
    const lowered = sizeFor(demand, raised.to, AUTO, 8, T0 + 2000 + 300_000);
    assert.deepEqual({ from: lowered?.from, to: lowered?.to }, { from: raised.to, to: 1 });
    assert.match(lowered?.reason ?? '', /0 claims in the last 60 s .*no raise for 300 s, 1 idle suffice, floor minTarget 1$/);
  });

  it('counts only claims inside the window, and only starts that registered', () => {
    const demand = emptyDemand(T0);
    recordClaim(demand, T0, 60_000);
    recordClaim(demand, T0 + 61_000, 60_000);
    assert.deepEqual(demand.claims, [T0 + 61_000]);
    recordStarting(demand, 'a', T0);
    recordStarting(demand, 'b', T0);
    recordStarted(demand, 'a', T0 + 3_000, true);
    recordStarted(demand, 'b', T0 + 90_000, false);
    assert.deepEqual(demand.startMs, [3_000]);
    assert.deepEqual(demand.startedAt, {});
    assert.deepEqual(sizingOf(demand, AUTO, T0 + 61_000), { ...AUTO, claimsInWindow: 1, taskManagerStartP50Ms: 3_000, decisions: [] });
  });

  it('is configured with defaults and refuses a floor above the ceiling or a headroom below 1, naming the field', () => {
    assert.deepEqual(parsePoolConfig({ sessionCluster: 'p', autoSize: {} }).autoSize, AUTO);
    assert.equal(parsePoolConfig({ sessionCluster: 'p' }).autoSize, undefined);
    assert.throws(() => parsePoolConfig({ sessionCluster: 'p', maxTarget: 2, autoSize: { minTarget: 3 } }), /config\.autoSize\.minTarget: must be at most maxTarget/);
    assert.throws(() => parsePoolConfig({ sessionCluster: 'p', autoSize: { headroom: 0.5 } }), /config\.autoSize\.headroom: must be at least 1/);
  });

  it('caps a host\'s pool at one TaskManager per core it can give them, and at least one', () => {
    assert.deepEqual([hostMaxTarget(2, 1), hostMaxTarget(16, 1), hostMaxTarget(2, 0.5), hostMaxTarget(3, 2), hostMaxTarget(1, 4)], [2, 16, 4, 1, 1]);
  });
});
