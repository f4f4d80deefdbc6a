/** Pure: one worker's footprint at each number of running pipelines in, its section of bench/RESULTS.md out. */
export interface WorkerLoadPoint {
  readonly pipelines: number;
  /** The worker's Node process alone (VmRSS), median of the samples taken at this level. */
  readonly workerRssMb: number;
  /** Its SQL inspector JVM, a child process started on the first inspection (undefined before). */
  readonly inspectorRssMb?: number;
  /** From the SDK's own metrics: `temporal_worker_task_slots_used` of the activity worker. */
  readonly activitySlotsUsed?: number;
  readonly activitySlots: number;
  /** `temporal_sticky_cache_size`: workflows the worker keeps in memory. */
  readonly cachedWorkflows?: number;
}

export interface WorkerLoadFigures {
  readonly date: string;
  readonly machine: string;
  readonly points: readonly WorkerLoadPoint[];
}

const figure = (value: number | undefined, unit = ''): string => (value === undefined ? '–' : `${value}${unit}`);

/**
 * MB of worker RSS each running pipeline adds, from the first point with a pipeline to the last: the
 * idle point, taken just after start, still holds the start's garbage (the workflow bundle's build).
 */
export function rssPerPipeline(points: readonly WorkerLoadPoint[]): number | undefined {
  const loaded = points.filter((p) => p.pipelines > 0);
  const first = loaded[0];
  const last = loaded.at(-1);
  if (!first || !last || last.pipelines === first.pipelines) return undefined;
  return (last.workerRssMb - first.workerRssMb) / (last.pipelines - first.pipelines);
}

export function renderWorkerLoad(f: WorkerLoadFigures): string {
  const perPipeline = rssPerPipeline(f.points);
  return [
    '# One worker under running pipelines',
    '',
    `Written by \`npm run bench:workers\` (bench/workers.ts) on ${f.date}, ${f.machine}: one worker process (the fleet's defaults) on its own Temporal dev server, real Flink 2.3 pipelines (datagen to blackhole) on the local runtime, measured once all were Running.`,
    '',
    '| running pipelines | worker RSS | SQL inspector JVM RSS | activity slots used | cached workflows |',
    '|---|---|---|---|---|',
    ...f.points.map((p) => `| ${p.pipelines} | ${p.workerRssMb} MB | ${figure(p.inspectorRssMb, ' MB')} | ${figure(p.activitySlotsUsed)} of ${p.activitySlots} | ${figure(p.cachedWorkflows)} |`),
    '',
    `- worker RSS per running pipeline: ${perPipeline === undefined ? 'not measured' : `${perPipeline.toFixed(1)} MB`} (from the first row with a pipeline to the last; the idle row, taken just after start, still holds the start's garbage)`,
    '- each running pipeline holds one activity slot (its `watchJob`) for as long as it runs, so `FLEET_MAX_CONCURRENT_ACTIVITIES` bounds the pipelines a worker can watch; see the README, "Sizing a worker"',
  ].join('\n');
}
