import assert from 'node:assert/strict';
import { phaseCounts, reportedKeys } from '../../client/pipeline-census';
import { claimIncrements } from '../../workflows/pool/metrics';
import { parsePrometheusText, sampleValue } from '../harness/prometheus';
import { promqlMetricNames } from '../harness/promql';

describe('the pipeline census', () => {
  it('counts running pipelines by tenant and phase, leaving out those without their search attributes yet', () => {
    const counts = phaseCounts([
      { tenant: 'acme', phase: 'Running' }, { tenant: 'acme', phase: 'Running' }, { tenant: 'acme', phase: 'Deploying' },
      { tenant: 'beta', phase: 'Running' }, { tenant: 'beta' }, {},
    ], new Set());
    assert.deepEqual(counts, [
      { tenant: 'acme', phase: 'Deploying', count: 1 }, { tenant: 'acme', phase: 'Running', count: 2 }, { tenant: 'beta', phase: 'Running', count: 1 },
    ]);
  });

  it('sets a pair reported before and gone now back to zero, once', () => {
    const first = phaseCounts([{ tenant: 'acme', phase: 'Starting' }], new Set());
    const second = phaseCounts([{ tenant: 'acme', phase: 'Running' }], reportedKeys(first));
    assert.deepEqual(second, [{ tenant: 'acme', phase: 'Running', count: 1 }, { tenant: 'acme', phase: 'Starting', count: 0 }]);
    assert.deepEqual(phaseCounts([{ tenant: 'acme', phase: 'Running' }], reportedKeys(second)), [{ tenant: 'acme', phase: 'Running', count: 1 }]);
  });
});

describe('the pool claim counters', () => {
  it('add what the totals grew by since the last publication, and never a negative amount', () => {
    assert.deepEqual(claimIncrements({ hits: 3, misses: 1 }, { hits: 5, misses: 1 }), { hits: 2, misses: 0 });
    assert.deepEqual(claimIncrements({ hits: 3, misses: 1 }, { hits: 2, misses: 1 }), { hits: 0, misses: 0 });
  });
});

describe('the Prometheus text parser of the tests', () => {
  it('reads names, escaped label values and values, and skips comments', () => {
    const samples = parsePrometheusText([
      '# HELP x_total a counter', '# TYPE x_total counter',
      'x_total{tenant="acme",note="say \\"hi\\"\\\\"} 3', 'up 1 1700000000000', 'h_bucket{le="+Inf"} 2', '',
    ].join('\n'));
    assert.deepEqual(samples, [
      { name: 'x_total', labels: { tenant: 'acme', note: 'say "hi"\\' }, value: 3 },
      { name: 'up', labels: {}, value: 1 },
      { name: 'h_bucket', labels: { le: '+Inf' }, value: 2 },
    ]);
    assert.equal(sampleValue(samples, 'x_total', { tenant: 'acme' }), 3);
  });

  it('refuses a malformed line instead of skipping it', () => {
    assert.throws(() => parsePrometheusText('x{tenant=acme} 1'), /not a Prometheus sample line/);
  });
});

describe('the PromQL metric-name reader of the dashboard test', () => {
  const names = (expr: string): string[] => [...promqlMetricNames(expr)].sort();

  it('finds the metric of a selector with labels, a range, or neither', () => {
    assert.deepEqual(names('flink_fleet_pipelines{tenant=~"$tenant"}'), ['flink_fleet_pipelines']);
    assert.deepEqual(names('rate(flink_fleet_pipeline_restarts[$__rate_interval])'), ['flink_fleet_pipeline_restarts']);
    assert.deepEqual(names('flink_fleet_pool_idle'), ['flink_fleet_pool_idle']);
  });

  it('skips functions, aggregations and their label lists, keywords, numbers, durations and strings', () => {
    assert.deepEqual(names('histogram_quantile(0.95, sum by (le, tenant) (rate(flink_fleet_preview_first_row_bucket{tenant="by"}[5m] offset 1h)))'),
      ['flink_fleet_preview_first_row_bucket']);
    assert.deepEqual(names('max by (tenant, phase) (flink_fleet_pipelines) > 1e3 and on (tenant) label_replace(up, "a", "sum", "b", "c")'),
      ['flink_fleet_pipelines', 'up']);
  });

  it('finds every metric of an expression that combines several', () => {
    assert.deepEqual(names('sum(rate(a_hits[5m])) / (sum(rate(a_hits[5m])) + sum(rate(a_misses[5m])))'), ['a_hits', 'a_misses']);
    assert.deepEqual(names('sum without (instance) (temporal_activity_execution_failed) or vector(0)'), ['temporal_activity_execution_failed']);
  });
});
