import assert from 'node:assert/strict';
import { withSection } from '../../bench/results-file';
import { rssGrowth } from '../../bench/soak-report';
import { renderWorkerLoad, rssPerPipeline, type WorkerLoadPoint } from '../../bench/workers-report';

describe('bench/RESULTS.md sections', () => {
  it('appends a section a document lacks, between its markers', () => {
    assert.equal(withSection('# other\n', 'soak', '# Soak\nfigures'), '# other\n\n<!-- bench:soak -->\n# Soak\nfigures\n<!-- /bench:soak -->\n');
  });

  it('replaces only its own section and keeps the others as they were', () => {
    const document = '<!-- bench:previews -->\nold previews\n<!-- /bench:previews -->\n\n<!-- bench:soak -->\nold soak\n<!-- /bench:soak -->\n';
    assert.equal(withSection(document, 'soak', 'new soak'), '<!-- bench:previews -->\nold previews\n<!-- /bench:previews -->\n\n<!-- bench:soak -->\nnew soak\n<!-- /bench:soak -->\n');
  });
});

describe('the soak\'s worker memory verdict', () => {
  it('compares the last quarter with the second, leaving the warm-up out', () => {
    const samples = [500, 500, 200, 200, 200, 200, 260, 260].map((mb) => ({ mb }));
    assert.equal(rssGrowth(samples), 1.3);
  });

  it('has no verdict with fewer than four samples', () => {
    assert.equal(rssGrowth([{ mb: 1 }, { mb: 2 }]), undefined);
  });
});

describe('the worker load section', () => {
  const point = (pipelines: number, workerRssMb: number): WorkerLoadPoint => ({ pipelines, workerRssMb, activitySlotsUsed: pipelines, activitySlots: 100 });

  it('divides the RSS the pipelines added by their number, from the first row with a pipeline to the last', () => {
    assert.equal(rssPerPipeline([point(0, 400), point(1, 200), point(3, 210)]), 5);
    assert.equal(rssPerPipeline([point(0, 200), point(1, 210)]), undefined);
  });

  it('shows each level as a row, with what was not measured as a dash', () => {
    const markdown = renderWorkerLoad({ date: '2026-11-27', machine: '2 cores, 24 GB', points: [point(0, 200), { ...point(1, 204), inspectorRssMb: 150, cachedWorkflows: 2 }, point(2, 212)] });
    assert.ok(markdown.includes('| 0 | 200 MB | – | 0 of 100 | – |'), markdown);
    assert.ok(markdown.includes('| 1 | 204 MB | 150 MB | 1 of 100 | 2 |'), markdown);
    assert.ok(markdown.includes('worker RSS per running pipeline: 8.0 MB'), markdown);
  });
});
