import { median } from './report';

/** Pure: the first-preview figures, with and without the warm-ups, in; RESULTS.md's section out. */
export interface FirstPreviewVariant {
  /** Each fresh pool's first preview, time to first row. */
  readonly firstMs: readonly number[];
  /** The previews that followed on the same pools. */
  readonly warmMs: readonly number[];
  /**
   * The preview's own `claimMs` (its workflow's start until the pool granted a TaskManager: the SQL
   * inspection and the claim), first previews and later ones: what the worker's side costs.
   */
  readonly firstClaimMs: readonly number[];
  readonly warmClaimMs: readonly number[];
}

export interface FirstPreviewFigures {
  readonly date: string;
  readonly machine: string;
  readonly rounds: number;
  readonly warmRunsPerPool: number;
  readonly loadAverage: readonly [atStart: number, atEnd: number];
  readonly withWarmUp: FirstPreviewVariant;
  readonly withoutWarmUp: FirstPreviewVariant;
}

/** The target (#15): the first preview after a fresh start within 1.5× a warm one. */
const TARGET = 1.5;

const ms = (value: number | undefined): string => (value === undefined ? '–' : `${Math.round(value)} ms`);

function ratio(top: readonly number[], bottom: number | undefined): number | undefined {
  const m = median(top);
  return m === undefined || !bottom ? undefined : m / bottom;
}

function verdict(value: number | undefined): string {
  return value === undefined ? '–' : `**${value.toFixed(2)}×** (target ≤ ${TARGET}: ${value <= TARGET ? 'met' : 'NOT met'})`;
}

export function renderFirstPreview(figures: FirstPreviewFigures): string {
  const warm = median([...figures.withWarmUp.warmMs, ...figures.withoutWarmUp.warmMs]);
  const row = (name: string, v: FirstPreviewVariant): string => {
    const list = v.firstMs.map((x) => Math.round(x)).join(', ');
    return `| ${name} | ${ms(median(v.firstMs))} (${list}) | ${ms(median(v.warmMs))} | ${ms(median(v.firstClaimMs))} / ${ms(median(v.warmClaimMs))} | ${verdict(ratio(v.firstMs, warm))} |`;
  };
  return [
    '# First preview after a fresh pool start',
    '',
    `\`npm run bench:first-preview\` (bench/first-preview.ts), ${figures.date}, ${figures.machine}. ${figures.rounds} rounds; each starts, one after the`,
    'other (alternating which goes first), a fresh worker (its own SQL inspector) and a fresh pool (session cluster, one idle TaskManager) with the',
    `warm-ups and one without them (\`warmUp: false\`), runs a first preview once the pool is settled, then ${figures.warmRunsPerPool} more on the same pool.`,
    'Times to the first row through `FleetClient.preview`; the warm median is all the later previews of the run, both variants.',
    '"Until the claim" is the preview\'s own `claimMs` (SQL inspection and the pool\'s grant); the rest of a first row is the gateway, the JobManager and the TaskManager.',
    '',
    '| variant | first preview: median (each) | later previews: median | until the claim, first / later: medians | first / warm median of the run |',
    '| --- | --- | --- | --- | --- |',
    row('with the warm-ups', figures.withWarmUp),
    row('without (inspector started by the first statement, cold gateway)', figures.withoutWarmUp),
    '',
    `Warm median of the run: ${ms(warm)}. Load average ${figures.loadAverage[0].toFixed(1)} when the run started and ${figures.loadAverage[1].toFixed(1)} when it ended (2 cores shared with other work).`,
  ].join('\n');
}
