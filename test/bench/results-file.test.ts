import assert from 'node:assert/strict';
import { withSection } from '../../bench/results-file';
import { countAgainstAsked, perMinute, renderSoak, rssGrowth, type SoakFigures } from '../../bench/soak-report';
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

  it('judges each phase on its own samples, so the step from pipelines to previews is not growth', () => {
    const rss = [
      ...[300, 300, 300, 300].map((mb, atS) => ({ atS, mb, phase: 'pipelines' as const })),
      ...[500, 500, 500, 500].map((mb, atS) => ({ atS: 4 + atS, mb, phase: 'previews' as const })),
    ];
    const markdown = renderSoak({ ...soak, workerRss: rss });
    assert.ok(markdown.includes('- worker RSS during the pipelines (4 samples): first 300 MB, median 300 MB, p95 300 MB, max 300 MB, last 300 MB; last quarter / second quarter: 1.00 (flat when ≤ 1.20: yes)'), markdown);
    assert.ok(markdown.includes('- worker RSS during the previews (4 samples): first 500 MB, median 500 MB, p95 500 MB, max 500 MB, last 500 MB; last quarter / second quarter: 1.00 (flat when ≤ 1.20: yes)'), markdown);
  });
});

const soak: SoakFigures = {
  date: '2026-11-27', machine: '2 cores, 24 GB', callers: 4, poolTarget: 2, wallS: 3000, load: [8, 10, 12],
  pipelines: { asked: 200, cycles: 60, budgetMinutes: 22, wallS: 1320, failures: [], runningMs: [40_000], events: [50], clustersLeft: 0 },
  previews: {
    asked: 1000, count: 1000, wallS: 1500, failures: ['#7: preview stopped because error: boom'], firstRowMs: [2000], events: [120],
    claimMs: [300, 900], claimHits: 1, hits: 700, misses: 300, claimWaitP50Ms: 0, claimWaitP95Ms: 5000,
  },
  workerRss: [], leakedProcesses: 0, clustersLeft: 0,
};

describe('the soak section', () => {
  it('says how many of the asked cycles ran when a time budget cut the phase short', () => {
    assert.equal(countAgainstAsked(60, 200, 22), '60 of 200 asked (the 22 min budget ran out)');
    assert.equal(countAgainstAsked(1000, 1000, 30), '1000');
    assert.ok(renderSoak(soak).includes('| 60 of 200 asked (the 22 min budget ran out) | 0 |'), renderSoak(soak));
  });

  it('gives each phase\'s rate per minute, to plan a full run by', () => {
    assert.equal(perMinute(60, 1320), '2.7');
    assert.equal(perMinute(0, 0), '–');
    assert.ok(renderSoak(soak).includes('| 2.7 cycles (1320 s) |'), renderSoak(soak));
  });

  it('takes the claim figures from every preview, apart from the pool\'s own window of recent claims', () => {
    const markdown = renderSoak(soak);
    assert.ok(markdown.includes('- claims, from every finished preview (2): 1 found an idle TaskManager; start to grant (SQL inspection included) median 300 ms, p95 900 ms'), markdown);
    assert.ok(markdown.includes('- the pool\'s own figures: 700 hits, 300 misses; claim wait over its most recent claims (it keeps 200) median 0 ms, p95 5000 ms'), markdown);
    assert.ok(markdown.includes('  - #7: preview stopped because error: boom'), markdown);
  });

  it('names the load the machine was under', () => {
    assert.ok(renderSoak(soak).includes('1-minute load average 8.0 at the start, median 10, p95 12, max 12 over the run'), renderSoak(soak));
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
