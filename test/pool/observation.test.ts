import assert from 'node:assert/strict';
import { poolObservation } from '../../activities/pool/observation';

const none = { known: [], ready: [], alive: [], orphaned: [], goneClaims: [] };

describe('what one look at the session cluster tells the pool', () => {
  it('calls a live TaskManager outside the books unknown', () => {
    const seen = poolObservation({ ...none, known: ['a'], ready: ['a'], alive: ['a', 'x', 'y'] });
    assert.deepEqual(seen.unknown, ['x', 'y']);
  });

  it('does not bring back a TaskManager it killed and forgot: its process is gone, whatever the JobManager still lists', () => {
    const seen = poolObservation({ ...none, known: ['b'], ready: ['b'], alive: ['b'] });
    assert.deepEqual(seen.unknown, []);
  });

  it('dooms only live TaskManagers of orphaned preview jobs, once each', () => {
    const seen = poolObservation({ ...none, known: ['a', 'b'], ready: ['a', 'b'], alive: ['a', 'b'], orphaned: ['b', 'b', 'killed'] });
    assert.deepEqual(seen.orphans, ['b']);
  });

  it('passes on which ready TaskManagers it checked, which are alive and which claims are gone', () => {
    const seen = poolObservation({ ...none, known: ['a', 'b'], ready: ['a', 'b'], alive: ['b'], goneClaims: ['c1'] });
    assert.deepEqual(seen, { checked: ['a', 'b'], alive: ['b'], unknown: [], orphans: [], goneClaims: ['c1'] });
  });
});
