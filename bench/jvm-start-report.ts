import { median } from './report';

/** Pure: the JVM-start figures, with and without the class archives, in; RESULTS.md's section out. */
export interface JvmStartMeasure {
  readonly name: string;
  readonly what: string;
  readonly withArchivesMs: readonly number[];
  readonly withoutArchivesMs: readonly number[];
}

export interface JvmStartFigures {
  readonly date: string;
  readonly machine: string;
  readonly rounds: number;
  readonly loadAverage: readonly [atStart: number, atEnd: number];
  readonly measures: readonly JvmStartMeasure[];
}

const ms = (value: number | undefined): string => (value === undefined ? '–' : `${Math.round(value)} ms`);

function ratio(measure: JvmStartMeasure): string {
  const a = median(measure.withArchivesMs);
  const b = median(measure.withoutArchivesMs);
  return a === undefined || b === undefined || b === 0 ? '–' : `${(a / b).toFixed(2)}×`;
}

export function renderJvmStart(figures: JvmStartFigures): string {
  const rows = figures.measures.map((m) => `| ${m.name} | ${m.what} | ${ms(median(m.withoutArchivesMs))} | ${ms(median(m.withArchivesMs))} | **${ratio(m)}** |`);
  return [
    '# JVM start: class archives (AppCDS) or not',
    '',
    `\`npm run bench:jvm-start\`, ${figures.date}, ${figures.machine}. ${figures.rounds} rounds, each starting one session cluster`,
    'without the installer\'s class archives and one with them, one after the other (alternating which goes first), on the local runtime. Medians;',
    'the ratio is with / without (below 1 is faster with the archives).',
    '',
    '| what | from → to | without | with | with / without |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
    `Load average ${figures.loadAverage[0].toFixed(1)} when the run started and ${figures.loadAverage[1].toFixed(1)} when it ended (2 cores shared with other work).`,
  ].join('\n');
}
