import assert from 'node:assert/strict';
import { burstWarmUp, parseBenchOptions, secondsLeft } from '../../bench/options';

describe('npm run bench\'s options', () => {
  it('defaults to the issue\'s sizes: 10 runs per series, three bursts of 40 previews from 8 callers', () => {
    assert.deepEqual(parseBenchOptions([]), { runs: 10, bursts: ['baseline', 'long-poll', 'capped'], burstPreviews: 40, burstCallers: 8, notes: [] });
  });

  it('takes fewer runs, chosen bursts, a smaller burst, and the rest as notes', () => {
    assert.deepEqual(parseBenchOptions(['--runs', '3', '--bursts', 'capped,long-poll', '--burst-size', '12x4', 'a note']),
      { runs: 3, bursts: ['capped', 'long-poll'], burstPreviews: 12, burstCallers: 4, notes: ['a note'] });
    assert.deepEqual(parseBenchOptions(['--bursts', 'none']).bursts, []);
  });

  it('refuses what it cannot run, naming the option and the value', () => {
    assert.throws(() => parseBenchOptions(['--runs', '0']), /--runs takes a whole number from 1 to 9999, not "0"/);
    assert.throws(() => parseBenchOptions(['--bursts', 'baseline,fast']), /--bursts takes distinct keys among baseline, long-poll, capped \(or none\), not "baseline,fast"/);
    assert.throws(() => parseBenchOptions(['--bursts', 'capped,capped']), /--bursts takes distinct keys/);
    assert.throws(() => parseBenchOptions(['--burst-size', '40']), /--burst-size takes PREVIEWSxCALLERS, such as 40x8, not "40"/);
    assert.throws(() => parseBenchOptions(['--burst-size', '40x0']), /--burst-size callers takes a whole number/);
    assert.throws(() => parseBenchOptions(['--rusn', '3']), /Unknown option '--rusn'/);
  });

  it('judges a burst after its first 10 claims, or after a quarter of a smaller burst', () => {
    assert.deepEqual([burstWarmUp(40), burstWarmUp(80), burstWarmUp(8), burstWarmUp(3)], [10, 10, 2, 0]);
  });

  it('estimates a phase\'s time left from its runs so far', () => {
    assert.deepEqual([secondsLeft(30_000, 3, 10), secondsLeft(30_000, 10, 10), secondsLeft(0, 0, 10)], [70, 0, 0]);
  });
});
