import assert from 'node:assert/strict';
import { chaosSelection, DEFAULT_BOUNDARIES, sampleOf } from './sample';

const boundaries = Array.from({ length: 14 }, (_, i) => `b${i}`);

describe('the sample of fault boundaries a run tries', () => {
  it('draws the same boundaries from the same seed, in their order, and other ones from another seed', () => {
    const one = sampleOf(boundaries, { count: 3, seed: 42 });
    assert.equal(one.length, 3);
    assert.equal(new Set(one).size, 3);
    assert.deepEqual(one, [...one].sort((a, b) => boundaries.indexOf(a) - boundaries.indexOf(b)));
    assert.deepEqual(sampleOf(boundaries, { count: 3, seed: 42 }), one);
    const seen = new Set(Array.from({ length: 20 }, (_, seed) => sampleOf(boundaries, { count: 3, seed }).join()));
    assert.ok(seen.size > 10, `20 seeds drew only ${seen.size} different samples`);
  });

  it('reaches every boundary over enough seeds', () => {
    const reached = new Set(Array.from({ length: 50 }, (_, seed) => sampleOf(boundaries, { count: 3, seed })).flat());
    assert.deepEqual([...reached].sort(), [...boundaries].sort());
  });

  it('tries all of them when asked, or when there are no more than the count', () => {
    assert.deepEqual(sampleOf(boundaries, { count: 'all', seed: 1 }), boundaries);
    assert.deepEqual(sampleOf(['a', 'b'], { count: 3, seed: 1 }), ['a', 'b']);
  });

  it('reads the count and the seed from the environment, and names the variable it refuses', () => {
    assert.deepEqual(chaosSelection({ FLEET_CHAOS_BOUNDARIES: 'all', FLEET_CHAOS_SEED: '7' }), { count: 'all', seed: 7 });
    assert.equal(chaosSelection({}).count, DEFAULT_BOUNDARIES);
    assert.throws(() => chaosSelection({ FLEET_CHAOS_BOUNDARIES: '0' }), /FLEET_CHAOS_BOUNDARIES/);
    assert.throws(() => chaosSelection({ FLEET_CHAOS_SEED: '-1' }), /FLEET_CHAOS_SEED/);
  });
});
