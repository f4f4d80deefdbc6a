import type { FlinkOptions } from '../flink/config';
import type { FlinkTransport } from '../flink/rest-client';
import type { DeclaredEndpoint } from '../../workflows/pipeline/egress';

/**
 * Where clusters live. The workflows call activities that call one of these; which one is chosen
 * once, at worker start (FLEET_RUNTIME), and nothing above the activities knows which.
 */
export interface ClusterRef {
  readonly tenant: string;
  /** The pipeline's or the session cluster's own name; the runtime derives its object names. */
  readonly name: string;
}

export interface ProcessResources {
  /** Cores; the local runtime cannot enforce it, the kubernetes runtime sets requests and limits. */
  readonly cpu: number;
  /** The container limit and Flink's `*.memory.process.size`. */
  readonly memoryMb: number;
  /**
   * Local disk: logs, downloaded jars, RocksDB's working files, spills. The kubernetes runtime requests
   * and limits it (a per-role default when absent); the local runtime cannot enforce it, as with cpu.
   */
  readonly ephemeralStorageMb?: number;
}

export type JobArtifact =
  | { readonly kind: 'sql'; readonly script: string }
  /** `digest` (`sha256:<hex>`) names the jar in the tenant's artifact area; the runtime checks the bytes against it before Flink reads them. */
  | { readonly kind: 'jar'; readonly digest: string; readonly entryClass: string; readonly args: readonly string[] };

/** An environment variable read from a Kubernetes Secret; only the reference travels, never the value. */
export interface SecretEnv {
  readonly env: string;
  readonly secretName: string;
  readonly key: string;
}

export interface ApplicationClusterSpec extends ClusterRef {
  readonly job: JobArtifact;
  /** 32 hex characters, chosen by the caller so that a retried deploy cannot start a second job. */
  readonly jobId: string;
  readonly parallelism: number;
  readonly jobManager: ProcessResources;
  readonly taskManager: ProcessResources;
  readonly slotsPerTaskManager: number;
  /** A savepoint or retained checkpoint to start from. */
  readonly restoreFrom?: string;
  readonly flinkOptions?: FlinkOptions;
  /** Set in the JobManager's and TaskManagers' environment (kubernetes); the local runtime ignores it. */
  readonly secretEnv?: readonly SecretEnv[];
  /** The Flink container image (kubernetes); the local runtime runs its own FLINK_HOME. */
  readonly image?: string;
  /** Where its pods may connect besides what Flink needs, under the tenant egress wall (kubernetes); the local runtime has no wall. */
  readonly egress?: readonly DeclaredEndpoint[];
}

export interface SessionClusterSpec extends ClusterRef {
  readonly jobManager: ProcessResources;
  /** Pool TaskManagers are added one by one with addTaskManager. */
  readonly taskManager: ProcessResources;
  readonly flinkOptions?: FlinkOptions;
  /** The Flink container image (kubernetes); the local runtime runs its own FLINK_HOME. */
  readonly image?: string;
}

export interface ClusterEndpoints {
  readonly restUrl: string;
  /** Only session clusters run the SQL Gateway. */
  readonly gatewayUrl?: string;
}

export type ClusterHealth =
  /** No trace of the cluster: never created, or deleted. */
  | 'missing'
  /** Every process that was started is alive. */
  | 'running'
  /** The JobManager (or gateway) died: the cluster cannot recover by itself. */
  | 'failed'
  /** The JobManager is alive but a TaskManager died. */
  | 'degraded';

export interface ProcessObservation {
  readonly name: string;
  readonly role: string;
  readonly alive: boolean;
}

export interface ClusterObservation {
  readonly cluster: string;
  readonly health: ClusterHealth;
  readonly endpoints?: ClusterEndpoints;
  readonly processes: readonly ProcessObservation[];
  /** Why the cluster is not running, for a person. */
  readonly reason?: string;
  /**
   * The kubelet evicted one of its pods for writing past its disk limit, in the kubelet's words (which
   * name the limit). Its Deployment brings a new pod, which the job's growing state fills again.
   */
  readonly diskExceeded?: string;
}

export interface ClusterSummary extends ClusterRef {
  readonly cluster: string;
  readonly kind: 'application' | 'session';
  readonly createdAt: string;
}

/**
 * The cluster could not start: its JobManager exited or was refused; `reason` is for a person, `type`
 * (`QuotaExceeded`, `Unschedulable`, `InvalidSpec`...) for a caller that maps it to a failure type.
 */
export class ClusterStartFailed extends Error {
  override readonly name = 'ClusterStartFailed';

  constructor(readonly cluster: string, readonly reason: string, readonly type: string = 'ClusterStartFailed') {
    super(`cluster ${cluster} could not start: ${reason}`);
  }
}

export interface FlinkRuntime {
  readonly kind: 'local' | 'kubernetes';
  /** How the worker reaches the endpoints of `observe`; the global fetch when absent. */
  readonly flinkTransport?: FlinkTransport;
  /** The tenant's namespace and guard rails (kubernetes); idempotent, and cheap when they exist. */
  ensureTenant(tenant: string): Promise<void>;
  /** Idempotent: a retry finds what the first attempt created and starts only what is missing. */
  deployApplicationCluster(spec: ApplicationClusterSpec): Promise<ClusterEndpoints>;
  deploySessionCluster(spec: SessionClusterSpec): Promise<ClusterEndpoints>;
  /** Starts one single-slot TaskManager with this id in a session cluster; idempotent per id. */
  addTaskManager(cluster: ClusterRef, taskManagerId: string): Promise<void>;
  /** Kills one TaskManager; killing one that is gone succeeds. */
  killTaskManager(cluster: ClusterRef, taskManagerId: string): Promise<void>;
  /**
   * Gives an application cluster the TaskManagers its spec's parallelism needs
   * (`ceil(parallelism / slotsPerTaskManager)`): starts the missing ones, removes the surplus (those
   * running none of the job's subtasks first, see `surplusTaskManagers`), and leaves the JobManager and
   * its job alone. A count beyond the tenant's plan is refused (ClusterStartFailed) before anything
   * changes. Idempotent.
   * @param busy the Flink resource ids of the TaskManagers the job's subtasks run on.
   */
  scaleTaskManagers(spec: ApplicationClusterSpec, busy: readonly string[]): Promise<void>;
  /** The widest parallelism the tenant's plan holds for a cluster sized as `spec`; undefined where no plan limits it. */
  maxParallelism(spec: ApplicationClusterSpec): number | undefined;
  /** Removes every process and object of the cluster; safe to repeat. */
  deleteCluster(cluster: ClusterRef): Promise<void>;
  observe(cluster: ClusterRef): Promise<ClusterObservation>;
  /**
   * `observe` for a loop that looks again and again (the watch), answered without a request per look
   * where the runtime can (kubernetes: from watches of the fleet's objects); `observe` where absent.
   */
  observeWatched?(cluster: ClusterRef): Promise<ClusterObservation>;
  /** Ends what the runtime keeps running between calls (kubernetes: its watches). */
  close?(): Promise<void>;
  listClusters(): Promise<ClusterSummary[]>;
  /**
   * Where savepoints and retained checkpoints of a cluster go; it outlives the cluster. Always
   * `<root>/<tenant>/<cluster name>` (activities/names.ts), so its folder is the tenant's storage.
   */
  storageUri(cluster: ClusterRef): string;
  /** The newest completed checkpoint a job retained, to redeploy from after a failure. */
  latestCheckpoint(cluster: ClusterRef, jobId: string): Promise<string | undefined>;
}
