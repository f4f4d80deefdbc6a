import { median } from './report';
import type { StartPhase } from './start-phases';

/** Pure: the pipeline-start bench's figures in, RESULTS.md's section out. */
export interface PipelineStartFigures {
  readonly date: string;
  readonly machine: string;
  readonly loadAverage: readonly [atStart: number, atEnd: number];
  readonly rounds: number;
  /** `FleetClient.startPipeline` → the workflow's `status` says Running. */
  readonly fleetMs: readonly number[];
  /** The same config.yaml, `standalone-job.sh` + `taskmanager.sh`, REST polled → the job is RUNNING. */
  readonly rawMs: readonly number[];
  /** The fleet's starts cut at their histories, median per phase. */
  readonly fleetPhases: readonly StartPhase[];
  readonly targetRatio: number;
}

const ms = (value: number | undefined): string => (value === undefined ? '–' : `${Math.round(value)} ms`);
const each = (values: readonly number[]): string => values.map((v) => Math.round(v)).join(', ');

export function renderPipelineStart(f: PipelineStartFigures): string {
  const [fleet, raw] = [median(f.fleetMs), median(f.rawMs)];
  const ratio = fleet !== undefined && raw ? fleet / raw : undefined;
  const verdict = ratio === undefined ? 'not measured' : ratio <= f.targetRatio ? 'met' : 'NOT met';
  return [
    '# Pipeline start on the local runtime, against raw Flink',
    '',
    `\`npm run bench:pipeline-start\` (bench/pipeline-start.ts), ${f.date}, ${f.machine}. A SQL pipeline (datagen → blackhole, parallelism 1, one`,
    'TaskManager) started through the fleet (a worker in the bench\'s process on its own Temporal dev server, the `local` runtime) and the same',
    'cluster started raw: the config.yaml the runtime writes (its own pure builder, the same class archives), `standalone-job.sh` with Flink\'s',
    'SqlDriver and `taskmanager.sh`, and the REST API polled every 200 ms until the job is RUNNING with all its tasks running (what the fleet calls Running).',
    '',
    '| series | what is timed | samples | median | min | max | each |',
    '|---|---|---|---|---|---|---|',
    `| flink-fleet | \`FleetClient.startPipeline\` → the workflow's \`status\` says Running | ${f.fleetMs.length} | ${ms(fleet)} | ${ms(Math.min(...f.fleetMs))} | ${ms(Math.max(...f.fleetMs))} | ${each(f.fleetMs)} |`,
    `| raw Flink | config written → \`standalone-job.sh\` + \`taskmanager.sh\` → REST says RUNNING, every task too | ${f.rawMs.length} | ${ms(raw)} | ${ms(Math.min(...f.rawMs))} | ${ms(Math.max(...f.rawMs))} | ${each(f.rawMs)} |`,
    '',
    `- flink-fleet / raw (medians): **${ratio === undefined ? '–' : `${ratio.toFixed(2)}×`}** (target ≤ ${f.targetRatio}: ${verdict})`,
    '',
    'Where the fleet\'s start goes, median per phase over its starts, cut at the workflow\'s history (an activity is its scheduled → completed events;',
    'the workflow\'s time between activities is summed per start). The raw start is one step: its whole time is the deploy\'s and the poll\'s.',
    '',
    '| phase | median |',
    '|---|---|',
    ...f.fleetPhases.map((p) => `| ${p.name} | ${ms(p.ms)} |`),
    '',
    `${f.rounds} rounds, one start of each kind per round, alternating which went first; each cluster was stopped and removed before the next`,
    'start. The fleet\'s time also holds the SQL inspection, the workflow\'s own steps, the runtime\'s wait for the JobManager\'s REST and its',
    '250 ms poll of the job.',
    '',
    `Load average ${f.loadAverage[0].toFixed(1)} when the run started and ${f.loadAverage[1].toFixed(1)} when it ended (2 cores shared with other work).`,
  ].join('\n');
}
