import { metricMeter } from '@temporalio/workflow';
import { FLEET_METRICS } from './metric-names';

/**
 * The fleet's own metrics, emitted from workflow code through the SDK's workflow meter: it drops
 * every emission while a workflow replays, so a counter counts each event once however often the
 * history is replayed (a worker restart, a sticky-cache eviction), and it adds `namespace`,
 * `taskQueue` and `workflowType`. Labels are tenants, pools and kinds, never pipelines, to keep
 * the number of series bounded.
 */

export type ClusterKind = 'application' | 'session';

export function countPipelineStarted(tenant: string): void {
  metricMeter.createCounter(FLEET_METRICS.pipelinesStarted).add(1, { tenant });
  // Present from the start, so that the first restart shows as an increase rather than a new series.
  metricMeter.createCounter(FLEET_METRICS.pipelineRestarts).add(0, { tenant });
}

export function countPipelineRestart(tenant: string): void {
  metricMeter.createCounter(FLEET_METRICS.pipelineRestarts).add(1, { tenant });
}

/** `after` tells a first start from a restart: a restart restores state and is expected to differ. */
export function recordTimeToRunning(tenant: string, after: 'start' | 'restart', ms: number): void {
  metricMeter.createHistogram(FLEET_METRICS.pipelineTimeToRunning, 'int', 'ms').record(Math.max(0, ms), { tenant, after });
}

export function recordPreviewFirstRow(tenant: string, ms: number): void {
  metricMeter.createHistogram(FLEET_METRICS.previewFirstRow, 'int', 'ms').record(Math.max(0, ms), { tenant });
}

export function countClusterCreated(tenant: string, kind: ClusterKind): void {
  metricMeter.createCounter(FLEET_METRICS.clustersCreated).add(1, { tenant, kind });
}

export function countClusterDeleted(tenant: string, kind: ClusterKind): void {
  metricMeter.createCounter(FLEET_METRICS.clustersDeleted).add(1, { tenant, kind });
}

export function countLeakedCluster(tenant: string): void {
  metricMeter.createCounter(FLEET_METRICS.janitorLeakedClusters).add(1, { tenant });
}
