import { percentile } from '../workflows/pool/percentile';

/** Pure: what `npm run bench:scale` measured in, its section of bench/RESULTS.md out. */
export interface ScaleFigures {
  readonly date: string;
  readonly machine: string;
  readonly pipelines: number;
  readonly tenants: number;
  /** The load generator lists a job as RUNNING this long after the fleet first asks about it. */
  readonly runningAfterMs: number;
  /** Each pipeline's workflow start to its awaitJobRunning's completion, from the histories. */
  readonly startLatencyMs: readonly number[];
  /** First start call to the last pipeline Running. */
  readonly allRunningMs: number;
  readonly steady: {
    readonly seconds: number;
    readonly workerRssMb: number;
    /** The same worker's RSS before its first pipeline: what the pipelines add is the difference. */
    readonly idleWorkerRssMb: number;
    /** Workflows the worker kept cached at the end of the window (the SDK's sticky cache gauge). */
    readonly cachedWorkflows: number;
    /** Cores: the worker's user + system CPU over the window, by /proc. */
    readonly workerCores: number;
    /** The worker's RPCs to Temporal per second, by operation (the SDK's temporal_request and temporal_long_request counters). */
    readonly temporalRequestsPerSecond: ReadonlyMap<string, number>;
    /** The API server's flow-control count of the worker's requests. */
    readonly kubernetesRequestsPerSecond: number;
    readonly restPollsPerSecond: number;
    /** History events added per pipeline over the window, scaled to a day. */
    readonly historyEventsPerPipelinePerDay: number;
  };
  /** The worker's Kubernetes requests from the first start to all Running, and from the first stop to all closed, per pipeline. */
  readonly kubernetesRequestsPerPipeline: { readonly start: number; readonly stop: number };
  readonly allStoppedMs: number;
  /** Cluster objects still there after the stops: must be none. */
  readonly left: readonly string[];
  /** Requests the load generator answered, by endpoint, over the whole run. */
  readonly restEndpoints: ReadonlyMap<string, number>;
}

/** The issue's goals while steady at 1,000 pipelines on one worker. */
export const STEADY_GOALS = { workerRssMb: 300, workerCores: 0.5, temporalRequestsPerSecond: 20, kubernetesRequestsPerSecond: 0 } as const;

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const round = (value: number, digits = 1): string => value.toFixed(digits);
const verdict = (met: boolean): string => (met ? 'met' : '**not met**');

const sum = (rates: ReadonlyMap<string, number>): number => [...rates.values()].reduce((total, rate) => total + rate, 0);

/** The operations that made up the rate, largest first, those under 0.05/s left out. */
function breakdown(rates: ReadonlyMap<string, number>): string {
  const shown = [...rates].filter(([, rate]) => rate >= 0.05).sort(([, a], [, b]) => b - a);
  return shown.length === 0 ? 'none' : shown.map(([operation, rate]) => `${operation} ${round(rate)}`).join(', ');
}

export function renderScale(figures: ScaleFigures): string {
  const { steady } = figures;
  const temporal = sum(steady.temporalRequestsPerSecond);
  const latency = (p: number): string => seconds(percentile(figures.startLatencyMs, p) ?? 0);
  return [
    '# Scale: pipelines on one worker',
    '',
    `Written by \`npm run bench:scale\` (bench/scale.ts) on ${figures.date}, ${figures.machine}: ${figures.pipelines} pipelines of ${figures.tenants} tenants started against one worker process (the fleet's defaults but for its activity slots) on the \`kubernetes\` runtime, with the production Temporal server (temporal-server on PostgreSQL) and a real API server whose pods kwok pretends to run. No Flink runs: each JobManager's REST API is answered by the bench's load generator (bench/scale-flink-rest.ts), which lists a job RUNNING ${seconds(figures.runningAfterMs)} after the fleet first asks about it.`,
    '',
    '## Start',
    '',
    '| pipelines | start latency p50 | p95 | p99 | first start to all Running |',
    '|---|---|---|---|---|',
    `| ${figures.pipelines} | ${latency(50)} | ${latency(95)} | ${latency(99)} | ${seconds(figures.allRunningMs)} |`,
    '',
    `Start latency is each workflow's start to its job seen RUNNING (its \`awaitJobRunning\` completed), from the histories; it includes the generator's ${seconds(figures.runningAfterMs)}.`,
    '',
    `## Steady, ${figures.pipelines} pipelines Running (${steady.seconds} s)`,
    '',
    '| measure | value | goal | |',
    '|---|---|---|---|',
    `| worker RSS | ${Math.round(steady.workerRssMb)} MB | < ${STEADY_GOALS.workerRssMb} MB | ${verdict(steady.workerRssMb < STEADY_GOALS.workerRssMb)} |`,
    `| worker CPU | ${round(steady.workerCores, 2)} cores | < ${STEADY_GOALS.workerCores} | ${verdict(steady.workerCores < STEADY_GOALS.workerCores)} |`,
    `| Temporal requests | ${round(temporal)} /s | ≤ ${STEADY_GOALS.temporalRequestsPerSecond} /s | ${verdict(temporal <= STEADY_GOALS.temporalRequestsPerSecond)} |`,
    // A few requests in the window round to 0.0 /s: the count says how far from none.
    `| Kubernetes API requests | ${round(steady.kubernetesRequestsPerSecond, 2)} /s (${Math.round(steady.kubernetesRequestsPerSecond * steady.seconds)} in ${steady.seconds} s) | none | ${verdict(steady.kubernetesRequestsPerSecond === 0)} |`,
    `| Flink REST polls | ${round(steady.restPollsPerSecond)} /s | – | |`,
    `| history events per pipeline per day | ${Math.round(steady.historyEventsPerPipelinePerDay)} | – | |`,
    '',
    `The worker's Temporal requests per second, by operation: ${breakdown(steady.temporalRequestsPerSecond)}.`,
    '',
    `The worker's RSS was ${Math.round(steady.idleWorkerRssMb)} MB before its first pipeline; it cached ${steady.cachedWorkflows} workflows while steady, `
      + `${round((steady.workerRssMb - steady.idleWorkerRssMb) / figures.pipelines, 2)} MB more per pipeline.`,
    '',
    '## A pipeline\'s life, and the stops',
    '',
    `- Kubernetes API requests per pipeline: ${round(figures.kubernetesRequestsPerPipeline.start)} from the first start to all Running (the watches of those already running included), ${round(figures.kubernetesRequestsPerPipeline.stop)} from the first stop to all closed`,
    `- ${figures.pipelines} stops (cancel, no savepoint), first stop to every workflow closed: ${seconds(figures.allStoppedMs)}`,
    `- cluster objects left after the stops: ${figures.left.length === 0 ? 'none' : `**${figures.left.length}**: ${figures.left.slice(0, 5).join(', ')}${figures.left.length > 5 ? ', …' : ''}`}`,
    `- Flink REST requests answered, by endpoint: ${[...figures.restEndpoints].sort(([a], [b]) => a.localeCompare(b)).map(([endpoint, count]) => `\`${endpoint}\` ${count}`).join(', ')}`,
  ].join('\n');
}
