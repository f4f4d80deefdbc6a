import assert from 'node:assert/strict';
import { PREVIEW_PHASES, JOB_PHASES, phaseMs, phaseRows, previewMarks, type RunMarks } from '../../bench/phases';

const warmRun: RunMarks = {
  calledAt: 1_000, workflowStartedAt: 1_040, inspectedAt: 1_100, grantedAt: 1_300, queryStartedAt: 1_320, sessionReadyAt: 1_500,
  jobIdAt: 1_900, gatewayFirstRowAt: 2_100, workflowFirstRowAt: 2_150, callerFirstRowAt: 2_200, jobCreatedAt: 1_700, taskDeployingAt: 1_800, tasksRunningAt: 1_950,
};
const rawRun: RunMarks = { calledAt: 5_000, queryStartedAt: 5_000, sessionReadyAt: 5_150, jobIdAt: 5_500, gatewayFirstRowAt: 5_700, jobCreatedAt: 5_300 };

describe('the bench\'s breakdown of a first row into phases', () => {
  it('cuts a preview\'s way into consecutive phases that add up to the caller\'s whole wait', () => {
    const lengths = PREVIEW_PHASES.map((p) => phaseMs(warmRun, p));
    assert.deepEqual(lengths, [40, 60, 200, 20, 180, 400, 200, 50, 50]);
    assert.equal(lengths.reduce((a, b) => (a as number) + (b as number), 0), 1_200);
  });

  it('leaves a phase out when either end was not noted, rather than guessing it', () => {
    assert.deepEqual(PREVIEW_PHASES.map((p) => phaseMs(rawRun, p)), [undefined, undefined, undefined, undefined, 150, 350, 200, undefined, undefined]);
    assert.deepEqual(JOB_PHASES.map((p) => phaseMs(rawRun, p)), [150, undefined, undefined, 350, 550]);
  });

  it('gives each phase\'s median and p95 for warm and raw, and counts a phase raw does not have wholly against the preview', () => {
    const slowerWarm: RunMarks = { ...warmRun, sessionReadyAt: 1_700, jobIdAt: 2_100, gatewayFirstRowAt: 2_300, workflowFirstRowAt: 2_350, callerFirstRowAt: 2_400 };
    const rows = phaseRows(PREVIEW_PHASES, [warmRun, slowerWarm, warmRun], [rawRun]);
    const session = rows.find((r) => r.label.startsWith('gateway session'));
    assert.deepEqual(session, { label: 'gateway session open + DDL', warmMs: 180, warmP95Ms: 380, rawMs: 150, rawP95Ms: 150, differenceMs: 30 });
    assert.deepEqual(rows[2], { label: PREVIEW_PHASES[2]?.label, warmMs: 200, warmP95Ms: 200, rawMs: undefined, rawP95Ms: undefined, differenceMs: 200 });
  });

  it('turns a preview\'s timings (since its workflow began) into instants on the caller\'s clock', () => {
    const marks = previewMarks(1_000, 2_200, {
      claimMs: 260, firstRowMs: 1_110, totalMs: 3_000,
      phases: { startedAt: 1_040, inspectedMs: 60, queryStartedMs: 280, sessionReadyMs: 460, jobIdMs: 860, activityFirstRowMs: 1_060 },
    });
    assert.deepEqual(marks, {
      calledAt: 1_000, callerFirstRowAt: 2_200, workflowStartedAt: 1_040, inspectedAt: 1_100, grantedAt: 1_300, queryStartedAt: 1_320,
      sessionReadyAt: 1_500, jobIdAt: 1_900, gatewayFirstRowAt: 2_100, workflowFirstRowAt: 2_150,
    });
  });

  it('keeps only the caller\'s instants for a preview whose result has no phases', () => {
    const marks = previewMarks(1_000, 2_200, { claimMs: 260, firstRowMs: 1_110, totalMs: 3_000 });
    assert.deepEqual(Object.entries(marks).filter(([, v]) => v !== undefined), [['calledAt', 1_000], ['callerFirstRowAt', 2_200]]);
  });
});
