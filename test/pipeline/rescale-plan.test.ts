import assert from 'node:assert/strict';
import type { JobVertex } from '../../activities/flink/rest-types';
import { currentParallelism, requirementsAt, runsAt } from '../../activities/pipeline/rescale-plan';
import { surplusTaskManagers, taskManagerCount } from '../../activities/runtime/scaling';
import { parallelismProblem } from '../../workflows/pipeline/spec';

const vertex = (id: string, parallelism: number, status = 'RUNNING', maxParallelism = 128): JobVertex => ({ id, name: id, parallelism, maxParallelism, status });

describe('what a rescale asks of Flink and of the runtime', () => {
  it('asks every vertex for 1 up to the new parallelism, and a vertex Flink pinned lower for no more than its maximum', () => {
    assert.deepEqual(requirementsAt([vertex('source', 1), vertex('global-agg', 1, 'RUNNING', 1)], 4), {
      source: { lowerBound: 1, upperBound: 4 }, 'global-agg': { lowerBound: 1, upperBound: 1 },
    });
  });

  it('is done only once every vertex runs at the parallelism asked of it', () => {
    assert.equal(runsAt([vertex('a', 2), vertex('b', 2)], 2), true);
    assert.equal(runsAt([vertex('a', 2), vertex('b', 1, 'RUNNING', 1)], 2), true);
    assert.equal(runsAt([vertex('a', 2), vertex('b', 1)], 2), false, 'one vertex still at the old parallelism');
    assert.equal(runsAt([vertex('a', 2, 'DEPLOYING'), vertex('b', 2)], 2), false, 'redeployed but not yet running');
    assert.equal(runsAt([vertex('a', 2, 'FINISHED'), vertex('b', 2)], 2), true, 'a finished bounded source counts');
  });

  it('reads the current parallelism as the widest vertex', () => {
    assert.equal(currentParallelism([vertex('a', 3), vertex('b', 1, 'RUNNING', 1)]), 3);
  });

  it('removes the TaskManagers the job has no task on first, newest first, and busy ones only when it must', () => {
    assert.deepEqual(surplusTaskManagers(['tm-1', 'tm-2', 'tm-3'], ['tm-3'], 1), ['tm-2', 'tm-1']);
    assert.deepEqual(surplusTaskManagers(['tm-1', 'tm-2', 'tm-3'], [], 2), ['tm-3']);
    assert.deepEqual(surplusTaskManagers(['tm-1', 'tm-2'], ['tm-1', 'tm-2'], 1), ['tm-2']);
    assert.deepEqual(surplusTaskManagers(['tm-1'], [], 3), [], 'growing removes nothing');
  });

  it('runs as many TaskManagers as the parallelism needs slots', () => {
    assert.equal(taskManagerCount({ parallelism: 5, slotsPerTaskManager: 2 }), 3);
    assert.equal(taskManagerCount({ parallelism: 4, slotsPerTaskManager: 2 }), 2);
  });

  it('judges a rescale\'s parallelism by the spec\'s own rule', () => {
    assert.equal(parallelismProblem(64), undefined);
    assert.equal(parallelismProblem(0), 'parallelism: must be at least 1');
    assert.equal(parallelismProblem(65), 'parallelism: must be at most 64');
    assert.equal(parallelismProblem(1.5), 'parallelism: must be a whole number');
    assert.match(parallelismProblem('2') ?? '', /^parallelism: .*expected number/);
  });
});
