import assert from 'node:assert/strict';
import { renderScale, type ScaleFigures } from '../../bench/scale-report';

const figures: ScaleFigures = {
  date: '2026-11-29', machine: '2 cores, 24 GB', pipelines: 100, tenants: 4, runningAfterMs: 3_000,
  startLatencyMs: Array.from({ length: 100 }, (_, i) => (i + 1) * 1_000), allRunningMs: 120_000,
  steady: { seconds: 300, workerRssMb: 280, idleWorkerRssMb: 230, cachedWorkflows: 101, workerCores: 0.8, temporalRequestsPerSecond: new Map([['RecordActivityTaskHeartbeat', 16], ['PollActivityTaskQueue', 3.9], ['DescribeNamespace', 0.01]]), kubernetesRequestsPerSecond: 150, restPollsPerSecond: 50, historyEventsPerPipelinePerDay: 144 },
  kubernetesRequestsPerPipeline: { start: 40.25, stop: 12 }, allStoppedMs: 60_000, left: [],
  restEndpoints: new Map([['GET /jobs/overview', 3], ['GET /jobs/:id', 10]]),
};

const rowOf = (markdown: string, measure: string): string[] =>
  (markdown.split('\n').find((line) => line.startsWith(`| ${measure} |`)) ?? '').split(' | ').slice(1).map((cell) => cell.replace(/ ?\|$/, ''));

describe('the scale section of bench/RESULTS.md', () => {
  it('gives start latency p50, p95 and p99 and the time to all Running', () => {
    assert.match(renderScale(figures), /\| 100 \| 50\.0 s \| 95\.0 s \| 99\.0 s \| 120\.0 s \|/);
  });

  it('judges each steady figure against the issue\'s goal, at the goal\'s own bound', () => {
    const markdown = renderScale(figures);
    assert.deepEqual(rowOf(markdown, 'worker RSS'), ['280 MB', '< 300 MB', 'met']);
    assert.deepEqual(rowOf(markdown, 'worker CPU'), ['0.80 cores', '< 0.5', '**not met**']);
    assert.deepEqual(rowOf(markdown, 'Temporal requests'), ['19.9 /s', '≤ 20 /s', 'met']);
    assert.deepEqual(rowOf(markdown, 'Kubernetes API requests'), ['150.00 /s (45000 in 300 s)', 'none', '**not met**']);
  });

  it('breaks the Temporal requests down by operation, largest first, leaving out what is under 0.05/s', () => {
    assert.match(renderScale(figures), /by operation: RecordActivityTaskHeartbeat 16\.0, PollActivityTaskQueue 3\.9\./);
  });

  it('splits the worker\'s memory into what it had before its first pipeline and what each pipeline added', () => {
    assert.match(renderScale(figures), /RSS was 230 MB before its first pipeline; it cached 101 workflows while steady, 0\.50 MB more per pipeline\./);
  });

  it('says what was left after the stops, and which REST endpoints the fleet called', () => {
    assert.match(renderScale(figures), /cluster objects left after the stops: none/);
    assert.match(renderScale(figures), /`GET \/jobs\/:id` 10, `GET \/jobs\/overview` 3/);
    const leaky = renderScale({ ...figures, left: ['Pod a/b', 'Service a/c'] });
    assert.match(leaky, /cluster objects left after the stops: \*\*2\*\*: Pod a\/b, Service a\/c/);
  });
});
