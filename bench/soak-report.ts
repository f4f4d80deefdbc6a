import { percentile } from '../workflows/pool/percentile';

/** Pure: the soak's figures in, its section of bench/RESULTS.md out. */
export interface SoakFigures {
  readonly date: string;
  readonly machine: string;
  readonly callers: number;
  readonly poolTarget: number;
  readonly wallS: number;
  readonly pipelines: {
    readonly cycles: number;
    readonly failures: readonly string[];
    readonly runningMs: readonly number[];
    readonly events: readonly number[];
    readonly clustersLeft: number;
  };
  readonly previews: {
    readonly count: number;
    readonly failures: readonly string[];
    readonly firstRowMs: readonly number[];
    readonly events: readonly number[];
    readonly hits: number;
    readonly misses: number;
    readonly claimWaitP50Ms?: number;
    readonly claimWaitP95Ms?: number;
  };
  readonly workerRss: readonly { readonly atS: number; readonly mb: number }[];
  readonly leakedProcesses: number;
  readonly clustersLeft: number;
}

const ms = (value: number | undefined): string => (value === undefined ? '–' : `${Math.round(value)} ms`);
const spread = (values: readonly number[], unit = ''): string =>
  values.length === 0 ? '–' : `median ${percentile(values, 50)}${unit}, p95 ${percentile(values, 95)}${unit}, max ${Math.max(...values)}${unit}`;

/**
 * The worker's memory is flat when its last quarter's median RSS is within 20% of its second
 * quarter's: the first quarter is warm-up (JIT, caches, the workflow bundle).
 */
export function rssGrowth(samples: readonly { mb: number }[]): number | undefined {
  const quarter = Math.floor(samples.length / 4);
  if (quarter === 0) return undefined;
  const early = percentile(samples.slice(quarter, 2 * quarter).map((s) => s.mb), 50);
  const late = percentile(samples.slice(-quarter).map((s) => s.mb), 50);
  return early && late !== undefined ? late / early : undefined;
}

function failureLines(failures: readonly string[]): string[] {
  return failures.slice(0, 5).map((f) => `  - ${f}`);
}

export function renderSoak(f: SoakFigures): string {
  const growth = rssGrowth(f.workerRss);
  const rss = f.workerRss.map((s) => s.mb);
  const p = f.pipelines;
  const v = f.previews;
  return [
    '# Soak',
    '',
    `Written by \`npm run bench:soak\` (bench/soak.ts) on ${f.date}, ${f.machine}, in ${f.wallS} s: one worker process on its own Temporal dev server, real Flink 2.3 on the local runtime, ${f.callers} concurrent callers.`,
    '',
    '| what | count | failures | history events per workflow | time |',
    '|---|---|---|---|---|',
    `| pipeline start → Running → stop (every other with a savepoint) | ${p.cycles} | ${p.failures.length} | ${spread(p.events)} | to Running: median ${ms(percentile(p.runningMs, 50))}, p95 ${ms(percentile(p.runningMs, 95))} |`,
    `| preview of 10 rows, pool target ${f.poolTarget} | ${v.count} | ${v.failures.length} | ${spread(v.events)} | first row: median ${ms(percentile(v.firstRowMs, 50))}, p95 ${ms(percentile(v.firstRowMs, 95))} |`,
    '',
    ...(p.failures.length > 0 ? ['- pipeline failures (first 5):', ...failureLines(p.failures)] : []),
    ...(v.failures.length > 0 ? ['- preview failures (first 5):', ...failureLines(v.failures)] : []),
    `- leaks: ${f.leakedProcesses} Flink processes and ${f.clustersLeft} clusters left at the end (${p.clustersLeft} after the pipeline cycles)`,
    `- pool: ${v.hits} hits, ${v.misses} misses; claim wait median ${ms(v.claimWaitP50Ms)}, p95 ${ms(v.claimWaitP95Ms)}`,
    `- worker RSS (${rss.length} samples): first ${rss[0] ?? '–'} MB, ${spread(rss, ' MB')}, last ${rss.at(-1) ?? '–'} MB; last quarter / second quarter: ${growth === undefined ? 'not measured' : `${growth.toFixed(2)} (flat when ≤ 1.20: ${growth <= 1.2 ? 'yes' : 'NO'})`}`,
  ].join('\n');
}
