import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { requireCodecKeys, type CodecKeyRing } from '../client/codec/keys';
import { DEFAULT_JANITOR_GRACE_SECONDS } from '../client/janitor-schedule';
import { parseTemporalConnectionSecurity, type TemporalConnectionSecurity } from '../client/temporal-connection';
import { jarFetcherJar } from '../activities/runtime/kubernetes/jar-fetcher/location';
import { toolchain } from '../scripts/toolchain';
import type { WorkerSizing } from './fleet-worker';

/**
 * The worker is configured by environment variables only (twelve-factor; a Deployment sets them from
 * a ConfigMap). Parsed once at start; a bad value stops the worker with the variable's name.
 */
const port = z.coerce.number().int('must be a whole number').min(1, 'must be a port number').max(65_535, 'must be a port number');
const count = (min: number, max: number) => z.coerce.number().int('must be a whole number').min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);

const toleration = z.object({
  key: z.string().optional(), operator: z.enum(['Exists', 'Equal']).optional(), value: z.string().optional(),
  effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(), tolerationSeconds: z.number().int().optional(),
}).strict();
const podPlacement = z.object({ nodeSelector: z.record(z.string(), z.string()).optional(), tolerations: z.array(toleration).optional() }).strict();

const cidr = z.string().regex(/^(\d{1,3}(\.\d{1,3}){3}\/\d{1,2}|[0-9a-fA-F:]+\/\d{1,3})$/, 'must be a CIDR such as 10.0.0.1/32');
const labels = z.object({ matchLabels: z.record(z.string(), z.string()) }).strict();
const egressEndpoint = z.object({ cidr, port }).strict();
const tenantEgress = z.object({
  dns: z.array(z.object({ ipBlock: z.object({ cidr }).strict().optional(), namespaceSelector: labels.optional(), podSelector: labels.optional() }).strict()
    .refine((peer) => Object.keys(peer).length > 0, 'must name an ipBlock or selectors')).min(1, 'must name the cluster DNS'),
  apiServer: z.array(egressEndpoint).min(1, 'must name the API server\'s address and port'),
  objectStorage: z.array(egressEndpoint),
  clusterRanges: z.array(cidr).optional(),
}).strict();

const megabytes = z.number().int('must be a whole number of MB').positive('must be more than 0 MB');
const tenantPlan = z.object({
  cpu: z.number().positive('must be more than 0 cores'), memoryMb: megabytes, ephemeralStorageMb: megabytes,
  pods: z.number().int('must be a whole number').positive('must be at least 1'),
  maxContainer: z.object({ cpu: z.number().positive('must be more than 0 cores'), memoryMb: megabytes, ephemeralStorageMb: megabytes }).strict(),
  defaultContainerEphemeralStorageMb: megabytes,
  podBandwidth: z.object({ ingressMbit: z.number().int('must be whole Mbit/s').positive(), egressMbit: z.number().int('must be whole Mbit/s').positive() }).strict(),
  runtimeClassName: z.string().max(253, 'must be at most 253 characters')
    .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a RuntimeClass name (a DNS-1123 subdomain)'),
}).partial().strict();

/** JSON in a variable, then its shape: the variable is named with either problem. */
const json = <T extends z.ZodType>(shape: T) => z.string().transform((text, ctx) => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be JSON' });
    return z.NEVER;
  }
}).pipe(shape);

const configSchema = z.object({
  TEMPORAL_ADDRESS: z.string().regex(/^[^\s:]+:\d+$/, 'must be host:port').default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1, 'must not be empty').default('default'),
  FLEET_TASK_QUEUE: z.string().min(1, 'must not be empty').default('flink-fleet'),
  FLEET_RUNTIME: z.enum(['local', 'kubernetes'], { message: "must be 'local' or 'kubernetes'" }).default('local'),
  // kubernetes runtime: a kubeconfig, or the pod's own credentials (KUBERNETES_SERVICE_HOST is set in every pod).
  FLEET_KUBECONFIG: z.string().min(1).refine(existsSync, 'must name an existing kubeconfig file').optional(),
  KUBERNETES_SERVICE_HOST: z.string().optional(),
  FLEET_STORAGE_URI: z.string().regex(/^[a-z][a-z0-9+.-]*:\/\/\S+$/, 'must be a URI such as s3://bucket/flink-fleet').optional(),
  // An S3-compatible endpoint that is not AWS's, and the credentials the fleet hands to tenants' pods.
  FLEET_S3_ENDPOINT: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).optional(),
  FLEET_S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  FLEET_S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  /** `versity`: the S3 keys are the gateway's root, and each tenant gets an account confined to its folder. */
  FLEET_S3_TENANT_ACCOUNTS: z.enum(['versity']).optional(),
  FLEET_FLINK_IMAGE: z.string().min(1).optional(),
  // JSON: {"nodeSelector": {...}, "tolerations": [...]}, the node pool Flink's pods run on.
  FLEET_POD_PLACEMENT: json(podPlacement).optional(),
  // JSON: {"dns": [peer...], "apiServer": [{"cidr", "port"}...], "objectStorage": [...]}: tenants' pods may connect
  // only there and to their own namespace (TenantEgress); anywhere when unset.
  FLEET_TENANT_EGRESS: json(tenantEgress).optional(),
  // JSON, any fields of TenantPlan over DEFAULT_TENANT_PLAN: what every tenant may use (quota, container sizes, pod bandwidth, RuntimeClass).
  FLEET_TENANT_PLAN: json(tenantPlan).optional(),
  FLEET_WORKER_NAMESPACE: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a namespace name').default('flink-fleet'),
  // A week at most: a grace longer than that leaves a leaked cluster running unnoticed.
  FLEET_JANITOR_GRACE_SECONDS: count(1, 604_800).default(DEFAULT_JANITOR_GRACE_SECONDS),
  FLEET_STATE_DIR: z.string().min(1).default(join(homedir(), '.local', 'state', 'flink-fleet')),
  FLINK_HOME: z.string().min(1).default(toolchain().flinkHome),
  // The local runtime's class archives (AppCDS); a folder without them only means slower JVM starts.
  FLEET_FLINK_CLASS_ARCHIVES: z.string().min(1).default(toolchain().flinkClassArchives),
  // Where the local runtime keeps Flink's memory sizing answers, so that a restarted worker does not run Flink's BashJavaUtils again.
  FLEET_FLINK_SIZING_CACHE: z.string().min(1).default(toolchain().flinkSizing),
  // The SQL inspector's compiled classes and Flink's full Table planner jar; the installer's cache when
  // unset. An image sets both (deploy/Dockerfile), as it has no cache.
  FLEET_SQL_INSPECTOR_CLASSES: z.string().min(1).optional(),
  FLEET_FLINK_TABLE_PLANNER_JAR: z.string().min(1).optional(),
  // The workflows bundled ahead (the worker image's, made by scripts/bundle-workflows.ts): the code file
  // the worker loads instead of bundling at start, which needs a compiler and a writable, safe cache.
  FLEET_WORKFLOW_BUNDLE: z.string().min(1).refine(existsSync, 'must name an existing file: the workflow bundle made by scripts/bundle-workflows.ts').optional(),
  // The kubernetes runtime's jar fetcher (the init container that checks a jar connection's jar); the
  // installer's cache when unset. An image sets it (deploy/Dockerfile).
  FLEET_JAR_FETCHER: z.string().min(1).default(jarFetcherJar(toolchain().jarFetcherBuilds)),
  FLEET_METRICS_PORT: port.optional(),
  // Loopback unless a pod's kubelet (probes) and Prometheus must reach it on the pod's address: 0.0.0.0 there.
  FLEET_METRICS_HOST: z.ipv4({ message: 'must be an IPv4 address such as 127.0.0.1 or 0.0.0.0' }).default('127.0.0.1'),
  // Sizing (README, "Sizing a worker"): every running pipeline holds one activity slot for its watch.
  // The defaults are the SDK's, written here so that the fleet's choice is visible and documented.
  FLEET_MAX_CONCURRENT_ACTIVITIES: count(1, 100_000).default(100),
  // The SDK refuses fewer than 2 while workflows are cached.
  FLEET_MAX_CONCURRENT_WORKFLOW_TASKS: count(2, 10_000).default(40),
  // Not the SDK's size (about 600 workflows per GB of V8 heap above 200 MB, 2,310 on a 24 GB machine):
  // a worker with 1,000 pipelines cached them all, reached 4.6 GB and died in its stops. A pipeline's
  // workflow sleeps for hours between tasks and replays a short history when it wakes.
  FLEET_MAX_CACHED_WORKFLOWS: count(2, 1_000_000).default(100),
  FLEET_STICKY_QUEUE_TIMEOUT_SECONDS: count(1, 600).default(10),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error'], { message: 'must be one of trace, debug, info, warn, error' }).default('info'),
}).superRefine((config, ctx) => {
  // The SDK would silently lower it: a workflow task runs on a cached workflow.
  if (config.FLEET_MAX_CONCURRENT_WORKFLOW_TASKS > config.FLEET_MAX_CACHED_WORKFLOWS) {
    ctx.addIssue({ code: 'custom', path: ['FLEET_MAX_CONCURRENT_WORKFLOW_TASKS'], message: `must not exceed FLEET_MAX_CACHED_WORKFLOWS (${config.FLEET_MAX_CACHED_WORKFLOWS})` });
  }
  if (config.FLEET_RUNTIME !== 'kubernetes') return;
  if (!config.FLEET_STORAGE_URI) ctx.addIssue({ code: 'custom', path: ['FLEET_STORAGE_URI'], message: 'is required with FLEET_RUNTIME=kubernetes: where checkpoints and savepoints go, e.g. s3://bucket/flink-fleet' });
  if (Boolean(config.FLEET_S3_ACCESS_KEY_ID) !== Boolean(config.FLEET_S3_SECRET_ACCESS_KEY)) {
    ctx.addIssue({ code: 'custom', path: ['FLEET_S3_SECRET_ACCESS_KEY'], message: 'FLEET_S3_ACCESS_KEY_ID and FLEET_S3_SECRET_ACCESS_KEY go together' });
  }
  if (config.FLEET_S3_TENANT_ACCOUNTS && !(config.FLEET_S3_ENDPOINT && config.FLEET_S3_ACCESS_KEY_ID)) {
    ctx.addIssue({ code: 'custom', path: ['FLEET_S3_TENANT_ACCOUNTS'], message: 'needs FLEET_S3_ENDPOINT and the gateway\'s admin keys in FLEET_S3_ACCESS_KEY_ID and FLEET_S3_SECRET_ACCESS_KEY' });
  }
  if (!config.FLEET_KUBECONFIG && !config.KUBERNETES_SERVICE_HOST) {
    ctx.addIssue({ code: 'custom', path: ['FLEET_KUBECONFIG'], message: 'is required with FLEET_RUNTIME=kubernetes outside a Kubernetes pod' });
  }
});

export type WorkerConfig = z.output<typeof configSchema> & {
  /** Payload encryption is not optional for a worker: it reads and writes every tenant's SQL and rows. */
  readonly codecKeys: CodecKeyRing;
  readonly connection: TemporalConnectionSecurity;
};

/** What the SDK is told about the worker's size; see README, "Sizing a worker". */
export function workerSizing(config: WorkerConfig): WorkerSizing {
  return {
    maxConcurrentActivityTaskExecutions: config.FLEET_MAX_CONCURRENT_ACTIVITIES,
    maxConcurrentWorkflowTaskExecutions: config.FLEET_MAX_CONCURRENT_WORKFLOW_TASKS,
    maxCachedWorkflows: config.FLEET_MAX_CACHED_WORKFLOWS,
    stickyQueueScheduleToStartTimeout: `${config.FLEET_STICKY_QUEUE_TIMEOUT_SECONDS} seconds`,
  };
}

/** The pre-built workflow bundle to load, or undefined: the worker bundles its workflows at start. */
export function workflowBundle(config: WorkerConfig): { readonly codePath: string } | undefined {
  return config.FLEET_WORKFLOW_BUNDLE === undefined ? undefined : { codePath: config.FLEET_WORKFLOW_BUNDLE };
}

export class InvalidWorkerConfig extends Error {
  override readonly name = 'InvalidWorkerConfig';
}

/** Every problem at once, each naming its variable. */
export function parseWorkerConfig(env: NodeJS.ProcessEnv): WorkerConfig {
  const problems: string[] = [];
  const attempt = <T>(parse: () => T): T | undefined => {
    try {
      return parse();
    } catch (error) {
      problems.push(error instanceof Error ? error.message : String(error));
      return undefined;
    }
  };
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) problems.push(...parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  const codecKeys = attempt(() => requireCodecKeys(env));
  const connection = attempt(() => parseTemporalConnectionSecurity(env));
  if (!parsed.success || codecKeys === undefined || connection === undefined) {
    throw new InvalidWorkerConfig(`invalid worker configuration: ${problems.join('; ')}`);
  }
  return { ...parsed.data, codecKeys, connection };
}
