/**
 * Names of the fleet's own metrics, as the worker's Prometheus endpoint serves them. Shared by the
 * workflows that emit them, the worker (histogram buckets, the pipeline census) and the dashboard's test.
 */
export const FLEET_METRICS = {
  /** counter {tenant}: pipelines and connections started (a continue-as-new is not a start). */
  pipelinesStarted: 'flink_fleet_pipelines_started',
  /** gauge {tenant, phase}: running pipeline workflows by phase, counted from Temporal's visibility. */
  pipelines: 'flink_fleet_pipelines',
  /** counter {tenant}: restarts from a checkpoint after the job failed. */
  pipelineRestarts: 'flink_fleet_pipeline_restarts',
  /** histogram, ms {tenant, after}: from the start (or the restart) until Flink runs the job. */
  pipelineTimeToRunning: 'flink_fleet_pipeline_time_to_running',
  /** histogram, ms {tenant}: from a preview's start to its first row. */
  previewFirstRow: 'flink_fleet_preview_first_row',
  /** gauges {pool}: idle and busy TaskManagers, and the idle target. */
  poolIdle: 'flink_fleet_pool_idle',
  poolBusy: 'flink_fleet_pool_busy',
  poolTarget: 'flink_fleet_pool_target',
  /** counters {pool}: claims granted at once (an idle TaskManager was there) or after a wait. */
  poolClaimHits: 'flink_fleet_pool_claim_hits',
  poolClaimMisses: 'flink_fleet_pool_claim_misses',
  /** counters {tenant, kind}: Flink clusters the fleet deployed and deleted (application or session); the janitor's deletions count, so created minus deleted is what is alive. */
  clustersCreated: 'flink_fleet_clusters_created',
  clustersDeleted: 'flink_fleet_clusters_deleted',
  /** counter {tenant}: clusters the janitor found without a running owner, and deleted. */
  janitorLeakedClusters: 'flink_fleet_janitor_leaked_clusters',
} as const;

/** Buckets in ms: a start takes seconds to minutes, a first row tenths of a second to a minute. */
export const FLEET_HISTOGRAM_BUCKETS: Readonly<Record<string, number[]>> = {
  [FLEET_METRICS.pipelineTimeToRunning]: [2_000, 5_000, 10_000, 20_000, 30_000, 60_000, 120_000, 300_000, 600_000],
  [FLEET_METRICS.previewFirstRow]: [250, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 30_000, 60_000, 120_000],
};
