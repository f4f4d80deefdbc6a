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

export const JANITOR_SCHEDULE_ID = 'flink-fleet-janitor';
export const JANITOR_WORKFLOW_ID = 'janitor/orphan-clusters';
