import assert from 'node:assert/strict';
import { renderKubernetesBench, type KubernetesBenchFigures } from '../../bench/kubernetes-report';

const figures: KubernetesBenchFigures = {
  date: '2026-11-27', machine: '2 cores, 24 GB', loadAverage: [8.04, 11.5], startRounds: 3, previewRounds: 2,
  fleetStartMs: [30_000, 36_000, 33_000], plainStartMs: [20_000, 22_000, 24_000],
  taskManagerRegisteredMs: [10_000, 11_000, 12_000, 13_000, 14_000, 15_000, 16_000, 17_000, 18_000, 19_000],
  warmPreviewMs: [2000, 3000], rawGatewayMs: [1000, 1000],
};

const rowOf = (markdown: string, series: string): string[] =>
  (markdown.split('\n').find((line) => line.startsWith(`| ${series} |`)) ?? '').split(' | ').slice(2).map((cell) => cell.replace(/ \|$/, ''));

describe('the Kubernetes section of bench/RESULTS.md', () => {
  it('gives each series\' count, median, min and max, and a p95 only from 10 samples up', () => {
    const markdown = renderKubernetesBench(figures);
    assert.deepEqual(rowOf(markdown, 'pipeline start, flink-fleet'), ['3', '33000 ms', '–', '30000 ms', '36000 ms']);
    assert.deepEqual(rowOf(markdown, 'pipeline start, plain manifests'), ['3', '22000 ms', '–', '20000 ms', '24000 ms']);
    assert.deepEqual(rowOf(markdown, 'pool TaskManager registration'), ['10', '14000 ms', '19000 ms', '10000 ms', '19000 ms']);
    assert.deepEqual(rowOf(markdown, 'warm preview'), ['2', '2000 ms', '–', '2000 ms', '3000 ms']);
  });

  it('gives the fleet\'s start against the plain manifests\' and the warm preview against the raw gateway as ratios of medians', () => {
    const markdown = renderKubernetesBench(figures);
    assert.match(markdown, /flink-fleet \/ plain manifests \(medians\): \*\*1\.50×\*\*/);
    assert.match(markdown, /warm preview \/ raw gateway \(medians\): \*\*2\.00×\*\*/);
    assert.match(markdown, /in 3 rounds, one of each kind per round/);
    assert.match(markdown, /Load average 8\.0 when the run started and 11\.5 when it ended/);
  });

  it('shows dashes, not a ratio, for a series without samples', () => {
    const markdown = renderKubernetesBench({ ...figures, plainStartMs: [] });
    assert.deepEqual(rowOf(markdown, 'pipeline start, plain manifests'), ['0', '–', '–', '–', '–']);
    assert.match(markdown, /flink-fleet \/ plain manifests \(medians\): –/);
  });
});
