import assert from 'node:assert/strict';
import { renderFirstPreview } from '../../bench/first-preview-report';

describe('the first-preview section of bench/RESULTS.md', () => {
  it('gives each variant\'s first preview against the warm median of all later previews, with the verdict on the 1.5× target', () => {
    const markdown = renderFirstPreview({
      date: '2026-11-27', machine: '2 cores, 24 GB', rounds: 3, warmRunsPerPool: 2, loadAverage: [1.04, 2.5],
      withWarmUp: { firstMs: [1400, 1300, 1500], warmMs: [1000, 1000], firstClaimMs: [300, 200, 400], warmClaimMs: [100, 200, 300] },
      withoutWarmUp: { firstMs: [3000, 2600, 2800], warmMs: [1000, 1000], firstClaimMs: [1900, 2000, 2100], warmClaimMs: [200] },
    });
    const rows = markdown.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| variant') && !line.startsWith('| ---'));
    assert.deepEqual(rows, [
      '| with the warm-ups | 1400 ms (1400, 1300, 1500) | 1000 ms | 300 ms / 200 ms | **1.40×** (target ≤ 1.5: met) |',
      '| without (inspector started by the first statement, cold gateway) | 2800 ms (3000, 2600, 2800) | 1000 ms | 2000 ms / 200 ms | **2.80×** (target ≤ 1.5: NOT met) |',
    ]);
    assert.match(markdown, /Warm median of the run: 1000 ms\. Load average 1\.0 when the run started and 2\.5 when it ended/);
  });

  it('shows a dash, not a ratio, for a variant without figures', () => {
    const markdown = renderFirstPreview({
      date: 'd', machine: 'm', rounds: 0, warmRunsPerPool: 0, loadAverage: [0, 0],
      withWarmUp: { firstMs: [], warmMs: [], firstClaimMs: [], warmClaimMs: [] }, withoutWarmUp: { firstMs: [900], warmMs: [], firstClaimMs: [], warmClaimMs: [] },
    });
    assert.ok(markdown.includes('| with the warm-ups | – () | – | – / – | – |'), markdown);
    assert.ok(markdown.includes('cold gateway) | 900 ms (900) | – | – / – | – |'), markdown);
  });
});
