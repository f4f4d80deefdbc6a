export interface OrphanCluster {
  readonly tenant: string;
  readonly name: string;
  /** The runtime's name for it, for people reading the result. */
  readonly cluster: string;
  /** The workflow that should have deleted it. */
  readonly owner: string;
}

export interface CollectOrphansInput {
  /** Clusters younger than this are left alone: their workflow may still be starting. */
  readonly graceSeconds: number;
}

/**
 * One schedule and one janitor per task queue: a janitor deletes what its own workers' runtime holds,
 * so a namespace shared by two fleets (two task queues) needs both cleaned.
 */
export function janitorScheduleId(taskQueue: string): string {
  return `flink-fleet-janitor/${taskQueue}`;
}

export function janitorWorkflowId(taskQueue: string): string {
  return `janitor/${taskQueue}`;
}
