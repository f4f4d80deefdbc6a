import { percentile } from '../workflows/pool/percentile';
import { median } from './report';

/** Pure: the Kubernetes bench's figures in, RESULTS.md's section out. */
export interface KubernetesBenchFigures {
  readonly date: string;
  readonly machine: string;
  readonly loadAverage: readonly [atStart: number, atEnd: number];
  /** Rounds of the start comparison, each one start of either kind, in alternating order. */
  readonly startRounds: number;
  /** `FleetClient.startPipeline` → the `status` query says Running. */
  readonly fleetStartMs: readonly number[];
  /** First apply of the plain manifests → the JobManager's REST says the job and every task are RUNNING. */
  readonly plainStartMs: readonly number[];
  /** A pool TaskManager's pod created (seen by a watch) → the JobManager's `/taskmanagers` lists it. */
  readonly taskManagerRegisteredMs: readonly number[];
  readonly previewRounds: number;
  /** `FleetClient.preview`, an idle TaskManager waiting → first row. */
  readonly warmPreviewMs: readonly number[];
  /** The SQL Gateway alone on the same session cluster, on a fresh TaskManager → first row. */
  readonly rawGatewayMs: readonly number[];
}

/** Below this many samples a 95th percentile is only the maximum again: the table shows a dash. */
export const P95_MIN_SAMPLES = 10;

const ms = (value: number | undefined): string => (value === undefined ? '–' : `${Math.round(value)} ms`);

function row(name: string, what: string, values: readonly number[]): string {
  const p95 = values.length >= P95_MIN_SAMPLES ? ms(percentile(values, 95)) : '–';
  const [min, max] = values.length === 0 ? [undefined, undefined] : [Math.min(...values), Math.max(...values)];
  return `| ${name} | ${what} | ${values.length} | ${ms(median(values))} | ${p95} | ${ms(min)} | ${ms(max)} |`;
}

function ratio(top: readonly number[], bottom: readonly number[]): string {
  const [a, b] = [median(top), median(bottom)];
  return a === undefined || !b ? '–' : `**${(a / b).toFixed(2)}×**`;
}

export function renderKubernetesBench(f: KubernetesBenchFigures): string {
  return [
    '# Flink on the real Kubernetes node',
    '',
    `\`npm run bench:kubernetes\` (bench/kubernetes.ts), ${f.date}, ${f.machine}. One run on the test bed's real node (kube-apiserver, containerd, kubelet;`,
    'pods of the fleet\'s Flink image, state on the S3 gateway), a worker on the `kubernetes` runtime on its own Temporal dev server; every pod at half a core',
    'and 1024 MB; Flink\'s REST and gateway reached through the API server\'s service proxy, as a worker outside the cluster does.',
    '',
    '| series | what is timed | samples | median | p95 | min | max |',
    '|---|---|---|---|---|---|---|',
    row('pipeline start, flink-fleet', '`FleetClient.startPipeline` (datagen → blackhole, parallelism 1) → the workflow\'s `status` says Running', f.fleetStartMs),
    row('pipeline start, plain manifests', 'the same cluster as plain manifests, applied with the Kubernetes client → the JobManager\'s REST says the job and every task are RUNNING', f.plainStartMs),
    row('pool TaskManager registration', 'a pool TaskManager\'s pod created (seen by a watch) → the JobManager\'s `/taskmanagers` lists it', f.taskManagerRegisteredMs),
    row('warm preview', '`FleetClient.preview`, an idle pool TaskManager waiting → first row', f.warmPreviewMs),
    row('raw gateway', 'the SQL Gateway alone on the same session cluster, on a fresh TaskManager → first row', f.rawGatewayMs),
    '',
    `- pipeline start, flink-fleet / plain manifests (medians): ${ratio(f.fleetStartMs, f.plainStartMs)}`,
    `- warm preview / raw gateway (medians): ${ratio(f.warmPreviewMs, f.rawGatewayMs)}`,
    '',
    `The starts ran in ${f.startRounds} rounds, one of each kind per round, alternating which went first; each cluster was deleted before the next start.`,
    'The plain manifests are the runtime\'s own builders\' output (same image, `config.yaml`, Kubernetes HA, S3 checkpoints, resources, probes) without',
    'the fleet\'s labels, in a namespace of their own made beforehand; the fleet\'s time also holds the SQL inspection, the tenant\'s guard rails',
    `(applied on every start), the workflow's own steps and its 1 s poll of the job. The previews ran in ${f.previewRounds} rounds of one raw and one warm,`,
    'alternating, after one preview that was not counted (the gateway\'s first statement); every TaskManager the pool started in that phase counts',
    `as a registration sample. p95 is given from ${P95_MIN_SAMPLES} samples up. The bench ends only when no pod, no object it made and no process it started`,
    'is left, and fails otherwise.',
    '',
    `Load average ${f.loadAverage[0].toFixed(1)} when the run started and ${f.loadAverage[1].toFixed(1)} when it ended (2 cores shared with other work).`,
  ].join('\n');
}
