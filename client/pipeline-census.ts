import type { Client } from '@temporalio/client';
import type { MetricMeter } from '@temporalio/common';
import { FLEET_METRICS } from '../workflows/metric-names';
import { FleetJobState, FleetTenant } from '../workflows/search-attributes';

export interface PhaseCount {
  readonly tenant: string;
  readonly phase: string;
  readonly count: number;
}

export interface ListedPipeline {
  readonly tenant?: string;
  readonly phase?: string;
}

const KEY_SEPARATOR = '\u0000';

/**
 * Pipelines by (tenant, phase), plus a zero for every pair reported before and gone now: a gauge
 * keeps its last value, so a phase nobody is in any more must be set back to zero. A workflow that
 * has not yet written its search attributes is left out until it has.
 */
export function phaseCounts(listed: Iterable<ListedPipeline>, previouslyReported: ReadonlySet<string>): PhaseCount[] {
  const counts = new Map<string, number>();
  for (const { tenant, phase } of listed) {
    if (tenant === undefined || phase === undefined) continue;
    const key = `${tenant}${KEY_SEPARATOR}${phase}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  for (const key of previouslyReported) if (!counts.has(key)) counts.set(key, 0);
  return [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([key, count]) => {
    const [tenant = '', phase = ''] = key.split(KEY_SEPARATOR);
    return { tenant, phase, count };
  });
}

export function reportedKeys(counts: readonly PhaseCount[]): Set<string> {
  return new Set(counts.filter((c) => c.count > 0).map((c) => `${c.tenant}${KEY_SEPARATOR}${c.phase}`));
}

export interface PipelineCensusOptions {
  readonly client: Client;
  readonly taskQueue: string;
  readonly meter: MetricMeter;
  readonly intervalMs: number;
  readonly onError: (error: unknown) => void;
}

/**
 * The `flink_fleet_pipelines` gauge, counted from Temporal's visibility every interval. A pipeline's
 * phase is the FleetJobState search attribute its workflow keeps, so the census is right whichever
 * worker runs the workflow, across replays, continue-as-new and worker restarts; a gauge set by the
 * workflows themselves could only say one pipeline's phase, and per-process sums drift when a worker
 * dies. Every worker of a task queue reports the same numbers: read them with `max by (tenant, phase)`.
 */
export function startPipelineCensus(options: PipelineCensusOptions): { stop(): Promise<void> } {
  const gauge = options.meter.createGauge(FLEET_METRICS.pipelines);
  const query = `WorkflowType = 'runPipeline' AND ExecutionStatus = 'Running' AND TaskQueue = '${options.taskQueue.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  let reported = new Set<string>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const takeCensus = async (): Promise<void> => {
    const listed: ListedPipeline[] = [];
    for await (const execution of options.client.workflow.list({ query })) {
      listed.push({ tenant: execution.typedSearchAttributes.get(FleetTenant), phase: execution.typedSearchAttributes.get(FleetJobState) });
    }
    const counts = phaseCounts(listed, reported);
    for (const { tenant, phase, count } of counts) gauge.set(count, { tenant, phase });
    reported = reportedKeys(counts);
  };
  let running = Promise.resolve();
  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = takeCensus().catch(options.onError).finally(schedule);
    }, options.intervalMs);
  };
  running = takeCensus().catch(options.onError).finally(schedule);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
