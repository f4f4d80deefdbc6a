import assert from 'node:assert/strict';
import { previewJobs } from '../../activities/preview/activities';

describe('which jobs stopPreview stops', () => {
  const jobs = [
    { id: 'a1', name: 'preview/acme/1' },
    { id: 'b2', name: 'preview/acme/1' }, // another session named its job after acme's preview
    { id: 'c3', name: 'preview/other/2' },
  ];

  it('are the ones whose ids the gateway reported, whatever their names', () => {
    assert.deepEqual(previewJobs(jobs, { workflowId: 'preview/acme/1', jobIds: ['a1'] }).map((j) => j.id), ['a1']);
    assert.deepEqual(previewJobs(jobs, { workflowId: 'preview/acme/1', jobIds: ['c3'] }).map((j) => j.id), ['c3']);
  });

  it('are found by name only when no id was ever reported (an attempt that crashed first)', () => {
    assert.deepEqual(previewJobs(jobs, { workflowId: 'preview/acme/1', jobIds: [] }).map((j) => j.id), ['a1', 'b2']);
  });
});
