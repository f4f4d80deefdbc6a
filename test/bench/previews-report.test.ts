import assert from 'node:assert/strict';
import { RAW_BESIDE_START, renderResults, type BenchFigures } from '../../bench/report';

const figures: BenchFigures = {
  date: '2026-11-27', machine: '2 cores, 24 GB', bursts: [], idleTaskManagerRssMb: [220], taskManagerMemoryMb: 1024, historyEvents: [],
  series: [{ name: 'raw', what: 'raw', firstRowMs: [700] }, { name: 'warm', what: 'warm', firstRowMs: [1_200] }, { name: 'warm, query poll', what: 'polled', firstRowMs: [1_400] }],
  marks: {
    warm: [{ calledAt: 0, workflowStartedAt: 40, inspectedAt: 100, grantedAt: 300, queryStartedAt: 320, sessionReadyAt: 500, jobIdAt: 900, gatewayFirstRowAt: 1_100, workflowFirstRowAt: 1_150, callerFirstRowAt: 1_200 },
      { calledAt: 0, workflowStartedAt: 40, inspectedAt: 100, grantedAt: 300, queryStartedAt: 320, sessionReadyAt: 700, jobIdAt: 1_100, gatewayFirstRowAt: 1_300, workflowFirstRowAt: 1_350, callerFirstRowAt: 1_400 }],
    raw: [{ calledAt: 0, queryStartedAt: 0, sessionReadyAt: 150, jobIdAt: 500, gatewayFirstRowAt: 700, jobCreatedAt: 300 }],
  },
};

describe('the previews section of bench/RESULTS.md', () => {
  it('renders where a warm preview\'s time goes against raw, phase by phase with median and p95, and names the phase holding most of the gap', () => {
    const lines = renderResults(figures, []).split('\n');
    const header = '| phase | warm preview: median | p95 | raw gateway: median | p95 | warm − raw (medians) |';
    const table = lines.slice(lines.indexOf(header));
    assert.deepEqual(table.slice(0, 11), [
      header,
      '|---|---|---|---|---|---|',
      '| the caller\'s call until the workflow started | 40 ms | 40 ms | – | – | +40 ms |',
      '| SQL inspection (Flink\'s planner in the inspector) | 60 ms | 60 ms | – | – | +60 ms |',
      '| the pool\'s grant of a TaskManager (the claim Update) | 200 ms | 200 ms | – | – | +200 ms |',
      '| the query activity\'s start | 20 ms | 20 ms | – | – | +20 ms |',
      '| gateway session open + DDL | 180 ms | 380 ms | 150 ms | 150 ms | +30 ms |',
      '| SELECT submitted until its job id is known | 400 ms | 400 ms | 350 ms | 350 ms | +50 ms |',
      '| job id known until the first row is read from the gateway | 200 ms | 200 ms | 200 ms | 200 ms | 0 ms |',
      '| until the first row reaches the workflow (a signal) | 50 ms | 50 ms | – | – | +50 ms |',
      '| until it reaches the caller (the nextRows long-poll) | 50 ms | 50 ms | – | – | +50 ms |',
    ]);
    assert.ok(lines.includes('- the largest share of the gap: the pool\'s grant of a TaskManager (the claim Update), +200 ms'));
    assert.ok(lines.some((l) => l.startsWith('- **Rows by a long-poll**') && l.includes('warm / raw 1.71 with it, 2.00 with the query poll')));
  });

  it('shows what a TaskManager starting beside it costs a raw first row, the replacement every warm preview has beside it', () => {
    const withBeside = { ...figures, series: [...figures.series, { name: RAW_BESIDE_START, what: 'beside', firstRowMs: [900, 1_000, 950] }] };
    assert.ok(renderResults(withBeside, []).split('\n').includes(
      '- a TaskManager starting on the same host (what a claim\'s replacement is): raw 700 ms alone, 950 ms beside one (+250 ms, 1.36×); a warm preview always has one beside it',
    ));
    assert.ok(!renderResults(figures, []).includes('starting on the same host'), 'nothing said when the series was not run');
  });

  it('says the bursts were not run when none was asked for', () => {
    assert.ok(renderResults(figures, []).includes('## Bursts\n\n- not run (`--bursts none`)'));
  });
});
