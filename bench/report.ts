import { percentile } from '../workflows/pool/percentile';
import { JOB_PHASES, PREVIEW_PHASES, phaseRows, type PhaseRow, type RunMarks } from './phases';

/** Pure: figures in, the markdown of bench/RESULTS.md out. */
export interface Series {
  readonly name: string;
  readonly what: string;
  readonly firstRowMs: readonly number[];
}

/** One way of running the burst: how callers read rows, and the pool's ceiling (its default when undefined). */
export interface BurstVariant {
  readonly key: string;
  readonly label: string;
  readonly reading: 'long-poll' | 'query-poll';
  readonly maxTarget?: number;
}

export interface ConcurrencyFigures {
  readonly variant: BurstVariant;
  readonly previews: number;
  readonly callers: number;
  /** The pool's target when the burst began, and the highest it sized itself to during it. */
  readonly target: number;
  readonly highestTarget: number;
  readonly maxTarget: number;
  /** Of the claims of the previews started after the first `servedIdleAfter.first`, how many found an idle TaskManager. */
  readonly servedIdleAfter: { readonly first: number; readonly hits: number; readonly of: number };
  readonly finished: number;
  /** Previews that gave no row, one line each. */
  readonly failures: readonly string[];
  readonly stoppedBecause: Readonly<Record<string, number>>;
  readonly hits: number;
  readonly misses: number;
  readonly claimWaitP50Ms?: number;
  readonly claimWaitP95Ms?: number;
  readonly firstRowMs: readonly number[];
  readonly wallMs: number;
  readonly leftRunning: number;
}

export interface BenchFigures {
  readonly date: string;
  readonly machine: string;
  readonly series: readonly Series[];
  readonly bursts: readonly ConcurrencyFigures[];
  /** History events of each preview of a series, at its end. */
  readonly historyEvents: readonly { readonly name: string; readonly events: readonly number[] }[];
  readonly idleTaskManagerRssMb: readonly number[];
  readonly taskManagerMemoryMb: number;
  /** Where each run's time went, of the warm and the raw series. */
  readonly marks: { readonly warm: readonly RunMarks[]; readonly raw: readonly RunMarks[] };
}

export function median(values: readonly number[]): number | undefined {
  return percentile(values, 50);
}

const ms = (value: number | undefined): string => (value === undefined ? '–' : `${Math.round(value)} ms`);

function ratio(a: Series | undefined, b: Series | undefined): number | undefined {
  const top = a && median(a.firstRowMs);
  const bottom = b && median(b.firstRowMs);
  return top !== undefined && bottom ? top / bottom : undefined;
}

function seriesTable(series: readonly Series[]): string[] {
  return [
    '| series | what is timed | runs | median | p95 | min | max |',
    '|---|---|---|---|---|---|---|',
    ...series.map((s) => `| ${s.name} | ${s.what} | ${s.firstRowMs.length} | ${ms(median(s.firstRowMs))} | ${ms(percentile(s.firstRowMs, 95))} | ${ms(Math.min(...s.firstRowMs))} | ${ms(Math.max(...s.firstRowMs))} |`),
  ];
}

function verdict(value: number | undefined, target: string, met: boolean): string {
  return value === undefined ? 'not measured' : `${value.toFixed(2)} (target ${target}: ${met ? 'met' : 'NOT met'})`;
}

function burstLines(c: ConcurrencyFigures, warmMedian: number | undefined): string[] {
  const served = c.servedIdleAfter.of > 0 ? c.servedIdleAfter.hits / c.servedIdleAfter.of : undefined;
  const burstP95 = percentile(c.firstRowMs, 95);
  const burstWarm = burstP95 !== undefined && warmMedian ? burstP95 / warmMedian : undefined;
  return [
    `### ${c.variant.label}`,
    '',
    `- the pool's target: ${c.target} when the burst began, at most ${c.highestTarget} during it (maxTarget ${c.maxTarget})`,
    `- claims served by an idle TaskManager after the first ${c.servedIdleAfter.first}: ${c.servedIdleAfter.hits}/${c.servedIdleAfter.of}, ${served === undefined ? 'not measured' : `${Math.round(served * 100)}% (target ≥ 90%: ${served >= 0.9 ? 'met' : 'NOT met'})`}`,
    `- p95 time to first row / warm median: ${verdict(burstWarm, '≤ 2', burstWarm !== undefined && burstWarm <= 2)}`,
    `- finished: ${c.finished}/${c.previews} (${Object.entries(c.stoppedBecause).map(([k, v]) => `${k}: ${v}`).join(', ')}) in ${ms(c.wallMs)}`,
    ...(c.failures.length > 0 ? [`- failed: ${c.failures.length} (${c.failures.slice(0, 5).join('; ')}${c.failures.length > 5 ? '; …' : ''})`] : []),
    `- pool hits / misses: ${c.hits} / ${c.misses}; claim wait median ${ms(c.claimWaitP50Ms)}, p95 ${ms(c.claimWaitP95Ms)} (the pool's own figures)`,
    `- time to first row: median ${ms(median(c.firstRowMs))}, p95 ${ms(percentile(c.firstRowMs, 95))}`,
    '',
  ];
}

const signed = (value: number | undefined): string => (value === undefined ? '–' : `${value > 0 ? '+' : ''}${Math.round(value)} ms`);

function phaseTable(rows: readonly PhaseRow[]): string[] {
  return [
    '| phase | warm preview: median | p95 | raw gateway: median | p95 | warm − raw (medians) |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.label} | ${ms(r.warmMs)} | ${ms(r.warmP95Ms)} | ${ms(r.rawMs)} | ${ms(r.rawP95Ms)} | ${signed(r.differenceMs)} |`),
  ];
}

/** The phase holding most of the gap, by its difference; undefined when nothing was measured. */
function largestGap(rows: readonly PhaseRow[]): PhaseRow | undefined {
  return rows.filter((r) => r.differenceMs !== undefined).sort((a, b) => (b.differenceMs as number) - (a.differenceMs as number))[0];
}

function seriesNamed(figures: BenchFigures, name: string): Series | undefined {
  return figures.series.find((s) => s.name === name);
}

/** The raw series run while the pool starts a TaskManager beside it (bench/run.ts). */
export const RAW_BESIDE_START = 'raw, a TaskManager starting';

function breakdown(figures: BenchFigures, polledRaw: number | undefined, warmRaw: number | undefined): string[] {
  const { warm, raw } = figures.marks;
  const steps = phaseRows(PREVIEW_PHASES, warm, raw);
  const gap = largestGap(steps);
  return [
    '## Where a warm preview\'s time goes, against raw',
    '',
    `Median and p95 per phase over the \`warm\` (${warm.length}) and \`raw\` (${raw.length}) runs above, from instants each step noted (the caller, the workflow, the query activity, the raw client; one host clock), not estimated. A raw run has no workflow: its steps before the session count wholly against the preview. Medians of phases do not add up to the median of the whole.`,
    '',
    ...phaseTable(steps),
    '',
    `- the largest share of the gap: ${gap ? `${gap.label}, ${signed(gap.differenceMs)}` : 'not measured'}`,
    ...replacementCost(figures),
    '',
    'Inside "SELECT submitted … first row", each since the SELECT was submitted; the job\'s instants are the JobManager\'s (`/jobs/:id` timestamps, `/jobs/:id/vertices/:id/subtasktimes`):',
    '',
    ...phaseTable(phaseRows(JOB_PHASES, warm, raw)),
    '',
    '### What was tried (issue 15\'s levers)',
    '',
    `- **Rows by a long-poll** (the \`nextRows\` Update) instead of the \`rows\` query every 50 ms: warm / raw ${warmRaw?.toFixed(2) ?? '–'} with it, ${polledRaw?.toFixed(2) ?? '–'} with the query poll in this run; it costs history events (above) and answers the burst's starved worker, not one preview's wait.`,
    '- **Warm-ups and class archives (AppCDS)**: the pool runs an `EXPLAIN SELECT` through its new gateway, and every Flink JVM maps the installer\'s class archive; see "First preview after a fresh pool start" and "JVM start" in this file for what each gave.',
    '- **A pool that sizes itself, and a ceiling per core** (`autoSize`, `hostMaxTarget`): the bursts below, one per variant.',
    '',
  ];
}

/**
 * What the pool's replacement start costs the preview beside it, shown on raw (same query, no control
 * plane): the two raw series' medians.
 */
function replacementCost(figures: BenchFigures): string[] {
  const raw = median(seriesNamed(figures, 'raw')?.firstRowMs ?? []);
  const beside = median(seriesNamed(figures, RAW_BESIDE_START)?.firstRowMs ?? []);
  if (raw === undefined || beside === undefined) return [];
  return [`- a TaskManager starting on the same host (what a claim's replacement is): raw ${ms(raw)} alone, ${ms(beside)} beside one (${signed(beside - raw)}, ${(beside / raw).toFixed(2)}×); a warm preview always has one beside it`];
}

export function renderResults(figures: BenchFigures, notes: readonly string[]): string {
  const byName = (name: string): Series | undefined => seriesNamed(figures, name);
  const warmRaw = ratio(byName('warm'), byName('raw'));
  const polledRaw = ratio(byName('warm, query poll'), byName('raw'));
  const coldWarm = ratio(byName('cold'), byName('warm'));
  const [first] = figures.bursts;
  const warmMedian = median(byName('warm')?.firstRowMs ?? []);
  const rss = figures.idleTaskManagerRssMb;
  return [
    '# Preview benchmark',
    '',
    `Written by \`npm run bench\` (bench/run.ts) on ${figures.date}, ${figures.machine}. Real Temporal dev server, real Flink 2.3 on the local runtime, a \`datagen\` table at 100 rows/s; times to the first row.`,
    '',
    ...seriesTable(figures.series),
    '',
    `- warm / raw (medians): ${verdict(warmRaw, '≤ 1.0', warmRaw !== undefined && warmRaw <= 1.0)}`,
    `- warm with the 50 ms query poll / raw (medians): ${polledRaw === undefined ? 'not measured' : polledRaw.toFixed(2)} (the long-poll's baseline)`,
    `- cold / warm (medians): ${verdict(coldWarm, '≥ 4', coldWarm !== undefined && coldWarm >= 4)}`,
    ...figures.historyEvents.map((h) => `- history events per preview, ${h.name}: median ${median(h.events) ?? '–'}, max ${h.events.length ? Math.max(...h.events) : '–'}`),
    '',
    ...breakdown(figures, polledRaw, warmRaw),
    ...(first ? [
      `## A burst: ${first.previews} previews, ${first.callers} concurrent callers, a self-sizing pool of its own, once per variant`,
      '',
      ...figures.bursts.flatMap((c) => burstLines(c, warmMedian)),
      `- Flink processes left after the pools were stopped: ${first.leftRunning}`,
    ] : ['## Bursts', '', '- not run (`--bursts none`)']),
    '',
    '## Memory',
    '',
    `- RSS of an idle pool TaskManager JVM (from /proc, ${rss.length} measured): median ${median(rss) ?? '–'} MB, max ${rss.length ? Math.max(...rss) : '–'} MB; each is configured with \`taskmanager.memory.process.size\` ${figures.taskManagerMemoryMb} MB, which is what a Kubernetes pod would request.`,
    '',
    // Notes are the reader's explanation of the figures, passed as arguments: `npm run bench -- "note" ...`.
    ...(notes.length > 0 ? ['## Notes', '', ...notes.map((n) => `- ${n}`), ''] : []),
  ].join('\n');
}
