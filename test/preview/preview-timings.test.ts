import assert from 'node:assert/strict';
import { previewPhases } from '../../workflows/preview/timings';

describe('a preview\'s phases, from the workflow\'s instants and the query activity\'s marks', () => {
  it('gives every instant as milliseconds since the workflow began, and keeps that start as an instant', () => {
    assert.deepEqual(previewPhases(10_000, 10_150, { startedAt: 10_400, sessionReadyAt: 10_900, jobIdAt: 11_300, firstRowAt: 11_700 }), {
      startedAt: 10_000, inspectedMs: 150, queryStartedMs: 400, sessionReadyMs: 900, jobIdMs: 1_300, activityFirstRowMs: 1_700,
    });
  });

  it('leaves out what a preview never reached: a refused or failed one has no query marks, a query with no row no first row', () => {
    assert.deepEqual(previewPhases(10_000, undefined, undefined), {
      startedAt: 10_000, inspectedMs: undefined, queryStartedMs: undefined, sessionReadyMs: undefined, jobIdMs: undefined, activityFirstRowMs: undefined,
    });
    assert.deepEqual(previewPhases(10_000, 10_150, { startedAt: 10_400, sessionReadyAt: 10_900, jobIdAt: 11_300 }).activityFirstRowMs, undefined);
  });
});
