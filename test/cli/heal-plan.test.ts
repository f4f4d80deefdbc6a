import assert from 'node:assert/strict';
import { healPlan, type DevStackHealth } from '../../client/dev/stack-file';

const allUp: DevStackHealth = { runtime: 'local', temporal: true, worker: true, codecServer: true };

describe('what dev up does with the stack it finds', () => {
  it('restarts nothing when all runs', () => {
    assert.deepEqual(healPlan(allUp, 'local'), { rebuild: false, restart: [] });
  });

  it('restarts only what died, the codec server before the server and the server before the worker', () => {
    assert.deepEqual(healPlan({ ...allUp, worker: false }, 'local'), { rebuild: false, restart: ['worker'] });
    assert.deepEqual(healPlan({ ...allUp, temporal: false }, 'local'), { rebuild: false, restart: ['temporal'] });
    assert.deepEqual(healPlan({ ...allUp, worker: false, temporal: false, codecServer: false }, 'local'), { rebuild: false, restart: ['codecServer', 'temporal', 'worker'] });
  });

  it('starts anew for another runtime or a dead Kubernetes part', () => {
    assert.deepEqual(healPlan(allUp, 'kubernetes'), { rebuild: true });
    assert.deepEqual(healPlan({ ...allUp, runtime: 'kubernetes', kubernetes: false, worker: false }, 'kubernetes'), { rebuild: true });
    assert.deepEqual(healPlan({ ...allUp, runtime: 'kubernetes', kubernetes: true, worker: false }, 'kubernetes'), { rebuild: false, restart: ['worker'] });
  });
});
