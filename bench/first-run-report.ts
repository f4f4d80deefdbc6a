import { formatDuration } from '../scripts/install/progress';
import type { InstallReport } from '../scripts/install/report';

/** Pure: the figures of one cold `npm install && npm run demo`, and the markdown of its section. */
export interface FirstRunFigures {
  readonly date: string;
  readonly machine: string;
  readonly commit: string;
  readonly npmInstallSeconds: number;
  /** `npm run demo` from its start to its exit, its `predemo` install included. */
  readonly demoSeconds: number;
  readonly install: InstallReport;
  readonly cacheMegabytes: number;
  readonly targetSeconds: number;
  /** The 1-minute load average when the run started and when it ended: other work shares this machine. */
  readonly loadAverage: readonly [start: number, end: number];
}

export function renderFirstRun(figures: FirstRunFigures): string {
  const total = figures.npmInstallSeconds + figures.demoSeconds;
  const afterInstall = figures.demoSeconds - figures.install.seconds;
  const rows = [
    ['`npm install`', figures.npmInstallSeconds],
    ...figures.install.steps.map((timing) => [`install step \`${timing.step}\`${timing.installed ? '' : ' (found in the cache)'}`, timing.seconds] as const),
    ['the demo itself (stack up, pipeline, preview, savepoint, stack down)', afterInstall],
  ] as const;
  return [
    '# First run',
    '',
    `Written by \`npm run bench:first-run\` (bench/first-run.ts) on ${figures.date}, ${figures.machine}, commit ${figures.commit}: a fresh clone in /tmp,`
    + ' `npm install && npm run demo` with an empty flink-fleet cache (`XDG_CACHE_HOME` pointed at an empty folder, so pip\'s cache was empty too,'
    + ' and Maven fetched its plugins into the empty cache).',
    '',
    `**${formatDuration(total)}** in all, against a target of ${formatDuration(figures.targetSeconds)}: ${total <= figures.targetSeconds ? 'met' : 'NOT met'}.`,
    '',
    '| what | time |',
    '|---|---|',
    ...rows.map(([what, seconds]) => `| ${what} | ${formatDuration(seconds)} |`),
    `| **total** | **${formatDuration(total)}** |`,
    '',
    `- The demo's needs (\`${figures.install.needs.join(' + ')}\`) left ${figures.cacheMegabytes} MB in the cache; nothing was built from Go and no browser was installed.`,
    '- npm\'s own cache (`~/.npm`) was warm: the packages came from it, not from the registry, so a new machine adds their download to `npm install`.',
    `- The machine is shared: its 1-minute load average was ${figures.loadAverage[0].toFixed(1)} when the run started and ${figures.loadAverage[1].toFixed(1)}`
    + ` when it ended, on ${figures.machine.split(',')[0]}, so these figures are an upper bound rather than a best case.`,
  ].join('\n');
}
