import { percentile } from '../workflows/pool/percentile';

/** Pure: the soak's figures in, its section of bench/RESULTS.md out. */
export type SoakPhase = 'pipelines' | 'previews';

export interface SoakFigures {
  readonly date: string;
  readonly machine: string;
  readonly callers: number;
  readonly poolTarget: number;
  readonly wallS: number;
  /** The 1-minute load average, sampled with the RSS. */
  readonly load: readonly number[];
  readonly pipelines: {
    readonly asked: number;
    /** Cycles begun; fewer than asked when the phase's time budget ran out. */
    readonly cycles: number;
    readonly budgetMinutes?: number;
    readonly wallS: number;
    readonly failures: readonly string[];
    readonly runningMs: readonly number[];
    readonly events: readonly number[];
    readonly clustersLeft: number;
  };
  readonly previews: {
    readonly asked: number;
    readonly count: number;
    readonly budgetMinutes?: number;
    readonly wallS: number;
    readonly failures: readonly string[];
    readonly firstRowMs: readonly number[];
    readonly events: readonly number[];
    /** Each finished preview's own claim: from its start (SQL inspection included) to the grant. */
    readonly claimMs: readonly number[];
    readonly claimHits: number;
    /** The pool's own figures, whose wait percentiles cover only its most recent claims. */
    readonly hits: number;
    readonly misses: number;
    readonly claimWaitP50Ms?: number;
    readonly claimWaitP95Ms?: number;
  };
  readonly workerRss: readonly { readonly atS: number; readonly mb: number; readonly phase: SoakPhase }[];
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

/** Pure: "N", or "N of M asked" with the budget that cut it short. */
export function countAgainstAsked(done: number, asked: number, budgetMinutes: number | undefined): string {
  if (done >= asked) return String(done);
  return `${done} of ${asked} asked${budgetMinutes === undefined ? '' : ` (the ${budgetMinutes} min budget ran out)`}`;
}

/** Pure: what one caller loop's work costs, as a rate to plan a full run by. */
export function perMinute(count: number, wallS: number): string {
  return wallS > 0 ? (count / (wallS / 60)).toFixed(1) : '–';
}

function failureLines(failures: readonly string[]): string[] {
  return failures.slice(0, 5).map((f) => `  - ${f}`);
}

/**
 * RSS is judged within each phase: the two load the worker differently (a pipeline holds a watch
 * activity, a preview a stream of row queries), so a step between them is not growth.
 */
function rssLine(samples: SoakFigures['workerRss'], phase: SoakPhase): string {
  const inPhase = samples.filter((s) => s.phase === phase);
  const growth = rssGrowth(inPhase);
  const rss = inPhase.map((s) => s.mb);
  const verdict = growth === undefined ? 'not measured' : `${growth.toFixed(2)} (flat when ≤ 1.20: ${growth <= 1.2 ? 'yes' : 'NO'})`;
  return `- worker RSS during the ${phase} (${rss.length} samples): first ${rss[0] ?? '–'} MB, ${spread(rss, ' MB')}, last ${rss.at(-1) ?? '–'} MB; last quarter / second quarter: ${verdict}`;
}

export function renderSoak(f: SoakFigures): string {
  const p = f.pipelines;
  const v = f.previews;
  const load = f.load.length === 0 ? 'not sampled' : `${f.load[0]?.toFixed(1)} at the start, ${spread(f.load.map((l) => Math.round(l * 10) / 10))} over the run`;
  return [
    '# Soak',
    '',
    `Written by \`npm run bench:soak\` (bench/soak.ts) on ${f.date}, ${f.machine}, in ${f.wallS} s: one worker process on its own Temporal dev server, real Flink 2.3 on the local runtime, ${f.callers} concurrent callers. The machine was shared with other work: 1-minute load average ${load}.`,
    '',
    '| what | count | failures | history events per workflow | time | per minute |',
    '|---|---|---|---|---|---|',
    `| pipeline start → Running → stop (every other with a savepoint) | ${countAgainstAsked(p.cycles, p.asked, p.budgetMinutes)} | ${p.failures.length} | ${spread(p.events)} | to Running: median ${ms(percentile(p.runningMs, 50))}, p95 ${ms(percentile(p.runningMs, 95))} | ${perMinute(p.cycles, p.wallS)} cycles (${p.wallS} s) |`,
    `| preview of 10 rows, pool target ${f.poolTarget} | ${countAgainstAsked(v.count, v.asked, v.budgetMinutes)} | ${v.failures.length} | ${spread(v.events)} | first row: median ${ms(percentile(v.firstRowMs, 50))}, p95 ${ms(percentile(v.firstRowMs, 95))} | ${perMinute(v.count, v.wallS)} previews (${v.wallS} s) |`,
    '',
    ...(p.failures.length > 0 ? ['- pipeline failures (first 5):', ...failureLines(p.failures)] : []),
    ...(v.failures.length > 0 ? ['- preview failures (first 5):', ...failureLines(v.failures)] : []),
    `- leaks: ${f.leakedProcesses} Flink processes and ${f.clustersLeft} clusters left at the end (${p.clustersLeft} after the pipeline cycles)`,
    `- claims, from every finished preview (${v.claimMs.length}): ${v.claimHits} found an idle TaskManager; start to grant (SQL inspection included) median ${ms(percentile(v.claimMs, 50))}, p95 ${ms(percentile(v.claimMs, 95))}`,
    `- the pool's own figures: ${v.hits} hits, ${v.misses} misses; claim wait over its most recent claims (it keeps 200) median ${ms(v.claimWaitP50Ms)}, p95 ${ms(v.claimWaitP95Ms)}`,
    rssLine(f.workerRss, 'pipelines'),
    rssLine(f.workerRss, 'previews'),
  ].join('\n');
}
