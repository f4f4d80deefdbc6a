import assert from 'node:assert/strict';
import { medianPhases, startPhases, type StartEvent } from '../../bench/start-phases';

describe('a pipeline start cut at its history', () => {
  const events: StartEvent[] = [
    { id: 1, atMs: 1_010 },
    { id: 5, atMs: 1_030, scheduled: 'inspectPipelineSql' },
    { id: 7, atMs: 1_330, completes: 5 },
    { id: 11, atMs: 1_350, scheduled: 'deployPipeline' },
    { id: 13, atMs: 6_350, completes: 11 },
    { id: 17, atMs: 6_370, scheduled: 'awaitJobRunning' },
    { id: 19, atMs: 8_370, completes: 17 },
    { id: 23, atMs: 9_000, scheduled: 'watchJob' },
  ];

  it('names each activity and the workflow\'s time around them, adding up to the whole', () => {
    const phases = startPhases(events, 1_000, 8_500);
    assert.deepEqual(phases.filter((p) => p.name.startsWith('activity')), [
      { name: 'activity inspectPipelineSql', ms: 300 }, { name: 'activity deployPipeline', ms: 5_000 }, { name: 'activity awaitJobRunning', ms: 2_000 },
    ]);
    assert.equal(phases[0]?.ms, 10);
    assert.equal(phases.at(-1)?.ms, 130);
    assert.equal(phases.reduce((sum, p) => sum + p.ms, 0), 7_500);
  });

  it('leaves out what completed after the caller saw Running', () => {
    assert.deepEqual(startPhases(events, 1_000, 7_000).map((p) => p.name).filter((n) => n.startsWith('activity')), ['activity inspectPipelineSql', 'activity deployPipeline']);
  });

  it('takes medians per phase, summing the workflow\'s gaps within one start', () => {
    const one = startPhases(events, 1_000, 8_500);
    const two = startPhases(events, 900, 8_500);
    const medians = medianPhases([one, two, two]);
    assert.equal(medians.find((p) => p.name === 'the workflow between activities')?.ms, 60);
    assert.equal(medians.find((p) => p.name === 'the call until the workflow started')?.ms, 110);
  });
});
