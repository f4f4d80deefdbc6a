import assert from 'node:assert/strict';
import { rescaleRefusal, type RescaleCandidate } from '../../workflows/pipeline/rescale-refusal';

const running: RescaleCandidate = { ref: { tenant: 'acme', name: 'orders' }, phase: 'Running', planMaxParallelism: 6 };

describe('which rescales the Update refuses before recording them', () => {
  it('accepts a running pipeline at any parallelism from 1 to its plan\'s bound', () => {
    assert.equal(rescaleRefusal(running, { parallelism: 1 }), undefined);
    assert.equal(rescaleRefusal(running, { parallelism: 6 }), undefined);
  });

  it('refuses a parallelism beyond the plan, naming the bound and the tenant', () => {
    assert.deepEqual(rescaleRefusal(running, { parallelism: 7 }), {
      type: 'InvalidSpec',
      message: 'invalid rescale of pipeline acme/orders: parallelism: must be at most 6, the most tenant acme\'s plan holds at this pipeline\'s TaskManager size',
    });
  });

  it('bounds a pipeline no plan limits by the spec\'s own 1..64 alone', () => {
    const unplanned: RescaleCandidate = { ...running, planMaxParallelism: undefined };
    assert.equal(rescaleRefusal(unplanned, { parallelism: 64 }), undefined);
    assert.deepEqual(rescaleRefusal(unplanned, { parallelism: 65 }), { type: 'InvalidSpec', message: 'invalid rescale of pipeline acme/orders: parallelism: must be at most 64' });
    assert.deepEqual(rescaleRefusal(unplanned, { parallelism: 0 }), { type: 'InvalidSpec', message: 'invalid rescale of pipeline acme/orders: parallelism: must be at least 1' });
  });

  it('refuses a request without a whole number, whatever the phase', () => {
    assert.equal(rescaleRefusal({ ...running, phase: 'Stopped' }, { parallelism: 1.5 })?.type, 'InvalidSpec');
    assert.equal(rescaleRefusal(running, {} as { parallelism: number })?.type, 'InvalidSpec');
  });

  it('refuses a pipeline that is not running, or is being stopped, naming its state', () => {
    assert.deepEqual(rescaleRefusal({ ...running, phase: 'Deploying' }, { parallelism: 2 }),
      { type: 'NotRunning', message: 'pipeline acme/orders is Deploying, not Running: only a running job can be rescaled' });
    assert.deepEqual(rescaleRefusal({ ...running, stopRequest: { savepoint: true, drain: false } }, { parallelism: 2 }),
      { type: 'NotRunning', message: 'pipeline acme/orders is stopping, not Running: only a running job can be rescaled' });
  });

  it('refuses a second rescale while one is in flight, naming its target', () => {
    assert.deepEqual(rescaleRefusal({ ...running, rescaling: 4 }, { parallelism: 2 }),
      { type: 'RescaleInProgress', message: 'pipeline acme/orders is already being rescaled to 4' });
  });
});
