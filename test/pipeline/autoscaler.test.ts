import assert from 'node:assert/strict';
import { decideRescale, type LoadSample, type VertexLoad } from '../../workflows/pipeline/autoscaler';
import { parsePipelineSpec, type AutoscalerPolicy } from '../../workflows/pipeline/spec';
import { problemsOf, sqlPipeline } from './fixtures';

const policy: AutoscalerPolicy = { minParallelism: 1, maxParallelism: 8, targetUtilization: 0.5, intervalSeconds: 60, window: 3, stabilizationSeconds: 300 };
const MINUTE = 60_000;
const NOW = Date.parse('2026-11-27T00:00:00Z');

const source = (backPressured = 0): VertexLoad => ({ name: 'Source: orders', backPressured });
const sink = (busy: number, backPressured = 0): VertexLoad => ({ name: 'sink', busy, backPressured });

/** `window` looks, one a minute up to NOW, all at `parallelism`. */
function looks(parallelism: number, ...vertices: VertexLoad[][]): LoadSample[] {
  return vertices.map((v, i) => ({ at: NOW - (vertices.length - 1 - i) * MINUTE, jobId: 'j', parallelism, vertices: v }));
}

describe('the autoscaler\'s decisions', () => {
  it('scales up by busy time over the target when every look of the window agrees, naming the vertex and the numbers', () => {
    const decision = decideRescale(policy, looks(2, [source(), sink(0.9)], [source(), sink(0.95)], [source(), sink(0.9)]), 2, NOW);
    assert.deepEqual(decision, {
      at: '2026-11-27T00:00:00.000Z', from: 2, to: 4, reason: 'overloaded: sink 90% busy in each of the last 3 looks (target 50%)',
    });
  });

  it('counts back-pressure as load: a source waiting on its sink asks for more even though nothing looks busy', () => {
    const pressed = [source(0.6), sink(0.3)];
    const decision = decideRescale(policy, looks(2, pressed, pressed, pressed), 2, NOW);
    assert.equal(decision.to, 3);
    assert.equal(decision.reason, 'overloaded: sink 30% busy, Source: orders 60% back-pressured in each of the last 3 looks (target 50%)');
  });

  it('holds while one look of the window disagrees, so a spike alone never rescales', () => {
    const decision = decideRescale(policy, looks(2, [source(), sink(0.9)], [source(), sink(0.4)], [source(), sink(0.9)]), 2, NOW);
    assert.deepEqual([decision.to, decision.reason], [2, 'within the target\'s band: sink 90% busy (target 50%)']);
  });

  it('scales down to the highest demand of the window, and never while anything is back-pressured', () => {
    const idle = decideRescale(policy, looks(8, [source(), sink(0.05)], [source(), sink(0.1)], [source(), sink(0.05)]), 8, NOW);
    assert.deepEqual([idle.to, idle.reason], [2, 'underloaded: sink 5% busy, nothing back-pressured, in each of the last 3 looks (target 50%)']);
    const pressed = decideRescale(policy, looks(8, [source(0.1), sink(0.05)], [source(), sink(0.05)], [source(), sink(0.05)]), 8, NOW);
    assert.equal(pressed.to, 8);
  });

  it('stays within the policy\'s bounds and pulls a parallelism set outside them back in', () => {
    const hot = [source(), sink(1)];
    assert.match(decideRescale(policy, looks(8, hot, hot, hot), 8, NOW).reason, /^overloaded \(sink 100% busy\) .* but already at the policy's maximum 8$/);
    assert.deepEqual(decideRescale(policy, [], 12, NOW), { at: '2026-11-27T00:00:00.000Z', from: 12, to: 8, reason: 'parallelism 12 is above the policy\'s maximum 8' });
  });

  it('never asks for more than the tenant\'s plan holds, and says the plan capped it', () => {
    const hot = [source(), sink(0.95)];
    // The policy would take 2 to 4 (95% busy at a 50% target); the plan holds 3 TaskManagers of this size.
    assert.deepEqual(decideRescale(policy, looks(2, hot, hot, hot), 2, NOW, undefined, 3), {
      at: '2026-11-27T00:00:00.000Z', from: 2, to: 3, reason: 'overloaded: sink 95% busy in each of the last 3 looks (target 50%), capped at the plan\'s 3',
    });
    assert.equal(decideRescale(policy, looks(3, hot, hot, hot), 3, NOW, undefined, 3).reason,
      'overloaded (sink 95% busy) in each of the last 3 looks (target 50%), but already at the plan\'s maximum 3');
    assert.deepEqual(decideRescale({ ...policy, minParallelism: 4 }, [], 2, NOW, undefined, 3), {
      at: '2026-11-27T00:00:00.000Z', from: 2, to: 3, reason: 'parallelism 2 is below the policy\'s minimum 4, capped at the plan\'s 3',
    });
  });

  it('leaves a decision within the plan as the policy made it', () => {
    const hot = [source(), sink(0.95)];
    assert.deepEqual(decideRescale(policy, looks(2, hot, hot, hot), 2, NOW, undefined, 8), decideRescale(policy, looks(2, hot, hot, hot), 2, NOW));
    assert.equal(decideRescale(policy, looks(2, hot, hot, hot), 2, NOW, undefined, 4).reason, 'overloaded: sink 95% busy in each of the last 3 looks (target 50%)');
  });

  it('waits out the stabilization after a rescale, and ignores the looks taken during it', () => {
    const hot = [source(), sink(0.9)];
    assert.equal(decideRescale(policy, looks(2, hot, hot, hot), 2, NOW, NOW - MINUTE).reason, 'stabilizing after the last rescale for 240 s more');
    // Settled a minute ago: of the looks at -2, -1 and 0 minutes, the first was taken while stabilizing.
    const settled = decideRescale(policy, looks(2, hot, hot, hot), 2, NOW, NOW - 6 * MINUTE);
    assert.equal(settled.reason, 'collecting looks at the load: 2 of 3');
  });

  it('decides nothing on a job whose vertices Flink cannot measure', () => {
    const quiet = [source()];
    assert.equal(decideRescale(policy, looks(2, quiet, quiet, quiet), 2, NOW).to, 2);
  });

  it('is an optional part of the spec, with defaults, and refuses a minimum above the maximum', () => {
    assert.deepEqual(parsePipelineSpec(sqlPipeline('acme', 'auto', { autoscaler: { maxParallelism: 4 } })).autoscaler, {
      minParallelism: 1, maxParallelism: 4, targetUtilization: 0.7, intervalSeconds: 60, window: 5, stabilizationSeconds: 300,
    });
    assert.deepEqual(problemsOf(sqlPipeline('acme', 'auto', { autoscaler: { minParallelism: 5, maxParallelism: 4 } })),
      ['spec.autoscaler.minParallelism: minParallelism must not exceed maxParallelism']);
    assert.deepEqual(problemsOf(sqlPipeline('acme', 'auto', { autoscaler: { maxParallelism: 65 } })), ['spec.autoscaler.maxParallelism: must be at most 64']);
  });
});
