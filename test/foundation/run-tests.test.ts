import assert from 'node:assert/strict';
import { verdict } from '../../scripts/run-tests';

const group = (name: string) => ({ name, prefix: '', args: [] });
const outcome = (name: string, passed: number, failed: number, code: number) => ({ group: group(name), passed, failed, code });

describe('npm test\'s two groups (scripts/run-tests.ts)', () => {
  it('pass together only when both pass, and add their counts up', () => {
    assert.deepEqual(verdict([outcome('kubernetes', 100, 0, 0), outcome('rest', 700, 0, 0)], false), { passed: 800, failed: 0, ok: true });
    assert.deepEqual(verdict([outcome('kubernetes', 99, 1, 1), outcome('rest', 700, 0, 0)], false), { passed: 799, failed: 1, ok: false });
  });

  it('fail when a group exits non-zero with no test failed, as a leak found at the end of its run does', () => {
    assert.equal(verdict([outcome('kubernetes', 100, 0, 1), outcome('rest', 700, 0, 0)], false).ok, false);
  });

  it('fail when a group ran no test, unless a filter was given and the other group ran some', () => {
    assert.equal(verdict([outcome('kubernetes', 0, 0, 1), outcome('rest', 700, 0, 0)], false).ok, false);
    assert.equal(verdict([outcome('kubernetes', 0, 0, 1), outcome('rest', 3, 0, 0)], true).ok, true);
    assert.equal(verdict([outcome('kubernetes', 0, 0, 1), outcome('rest', 0, 0, 1)], true).ok, false);
  });
});
