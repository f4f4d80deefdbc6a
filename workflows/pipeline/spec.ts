import { z } from 'zod';
import { tenantName } from '../tenant-name';
import { flinkOptionProblem } from './flink-options';
import { declaredCidrProblem, MAX_DECLARED_ENDPOINTS } from './egress';
import { JAR_DIGEST, JAR_DIGEST_RULE } from './jar-digest';
import { reservedEnvReader } from './secret-env';

/**
 * The input of runPipeline, validated once at the edge (the client) and again, deterministically, at
 * the workflow's start: the one schema produces both the type and the error message.
 */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dnsLabel = (max: number) => z.string()
  .max(max, `must be at most ${max} characters`)
  .regex(DNS_LABEL, "must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit");

const resources = (defaults: { cpu: number; memoryMb: number }) => z.object({
  cpu: z.number().positive('must be more than 0 cores').max(16, 'must be at most 16 cores'),
  memoryMb: z.number().int('must be a whole number of MB').min(768, 'must be at least 768 MB (Flink cannot start a JVM in less)')
    .max(32_768, 'must be at most 32768 MB'),
  // Local disk (kubernetes; the local runtime ignores it, as it does cpu). Absent: a per-role default.
  ephemeralStorageMb: z.number().int('must be a whole number of MB').min(512, 'must be at least 512 MB (logs and the blob cache need it)')
    .max(65_536, 'must be at most 65536 MB').optional(),
}).strict().default(defaults);

const sqlJob = z.object({
  kind: z.literal('sql'),
  script: z.string().trim().min(1, 'must not be empty').max(256 * 1024, 'must be at most 256 KiB'),
}).strict();

const jarJob = z.object({
  kind: z.literal('jar'),
  jar: z.string().regex(JAR_DIGEST, JAR_DIGEST_RULE),
  entryClass: z.string().regex(/^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/, 'must be a fully qualified Java class name'),
  args: z.array(z.string().max(4096)).max(128).default([]),
}).strict();

/** A secret is only ever named here; its value stays in Kubernetes and never enters Temporal's history. */
const secretEnv = z.object({
  env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name'),
  secretName: dnsLabel(253),
  key: z.string().regex(/^[-._a-zA-Z0-9]+$/, 'must be a Secret key'),
}).strict();

/** The most any pipeline may ask for, whatever its tenant's plan holds. */
export const MAX_PARALLELISM = 64;
const parallelism = z.number().int('must be a whole number').min(1, 'must be at least 1').max(MAX_PARALLELISM, `must be at most ${MAX_PARALLELISM}`);

/**
 * An optional policy that rescales the job by its own load (workflows/pipeline/autoscaler.ts): within
 * min..max, aiming its busiest vertex at the target utilization, judged over `window` looks taken
 * every `intervalSeconds`, and not again for `stabilizationSeconds` after a rescale.
 */
const autoscaler = z.object({
  minParallelism: parallelism.default(1),
  maxParallelism: parallelism,
  targetUtilization: z.number().min(0.1, 'must be at least 0.1').max(0.9, 'must be at most 0.9').default(0.7),
  intervalSeconds: z.number().int('must be a whole number').min(5, 'must be at least 5').max(3600, 'must be at most 3600').default(60),
  window: z.number().int('must be a whole number').min(1, 'must be at least 1').max(60, 'must be at most 60').default(5),
  stabilizationSeconds: z.number().int('must be a whole number').min(0, 'must be at least 0').max(86_400, 'must be at most 86400').default(300),
}).strict().refine((policy) => policy.minParallelism <= policy.maxParallelism, { message: 'minParallelism must not exceed maxParallelism', path: ['minParallelism'] });

export type AutoscalerPolicy = z.output<typeof autoscaler>;

export const pipelineSpecSchema = z.object({
  tenant: tenantName,
  name: dnsLabel(40),
  job: z.discriminatedUnion('kind', [sqlJob, jarJob]),
  parallelism: parallelism.default(1),
  autoscaler: autoscaler.optional(),
  slotsPerTaskManager: z.number().int('must be a whole number').min(1, 'must be at least 1').max(8, 'must be at most 8').default(1),
  jobManager: resources({ cpu: 1, memoryMb: 1024 }),
  taskManager: resources({ cpu: 1, memoryMb: 1024 }),
  flinkOptions: z.record(z.string(), z.string().max(1024)).default({}).superRefine((options, ctx) => {
    for (const [key, value] of Object.entries(options)) {
      const problem = flinkOptionProblem(key, value);
      if (problem) ctx.addIssue({ code: 'custom', path: [key], message: problem });
    }
  }),
  restartBudget: z.object({
    maxRestarts: z.number().int().min(0, 'must be at least 0').max(100, 'must be at most 100'),
    windowMinutes: z.number().int().min(1, 'must be at least 1').max(24 * 60, 'must be at most 1440'),
  }).strict().default({ maxRestarts: 3, windowMinutes: 10 }),
  // `file:/path` too: that is how Flink reports a local savepoint. Whose storage it lies in is checked at deploy.
  restoreFrom: z.string().max(2048, 'must be at most 2048 characters').regex(/^(file:\/|(s3|gs|hdfs|abfss?):\/\/)\S+$/, 'must be a savepoint URI (file://, s3://, ...)')
    .optional(),
  // Where its pods may connect besides what Flink needs, when the tenant egress wall is up (egress.ts).
  egress: z.array(z.object({
    cidr: z.string().superRefine((cidr, ctx) => {
      // Checked for length first so a refusal never echoes a tenant's megabyte back.
      const problem = cidr.length > 18 ? 'must be an IPv4 CIDR, such as 203.0.113.7/32 (at most 18 characters)' : declaredCidrProblem(cidr);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
    port: z.number().int('must be a whole number').min(1, 'must be a TCP port from 1 to 65535').max(65_535, 'must be a TCP port from 1 to 65535'),
  }).strict()).max(MAX_DECLARED_ENDPOINTS, `must be at most ${MAX_DECLARED_ENDPOINTS} endpoints`).default([]),
  secretEnv: z.array(secretEnv).max(32).default([]).superRefine((entries, ctx) => {
    entries.forEach(({ env }, i) => {
      const reader = reservedEnvReader(env);
      const first = entries.findIndex((other) => other.env === env);
      if (reader !== undefined) ctx.addIssue({ code: 'custom', path: [i, 'env'], message: `${env} is read by ${reader}; a secret may not set it` });
      else if (first < i) ctx.addIssue({ code: 'custom', path: [i, 'env'], message: `${env} is already set by secretEnv[${first}]` });
    });
  }),
}).strict();

/** What callers write: defaults may be left out. */
export type PipelineSpecInput = z.input<typeof pipelineSpecSchema>;

/**
 * The default JobManager and TaskManager with other cores or TaskManager disk: a pod asks for its
 * cores up front, and on a small node (the dev stack's, two cores) the default of one each leaves
 * nothing for the preview pool. A TaskManager's disk bounds the state it keeps locally.
 */
export function withResources(cpu: number | undefined, diskMb: number | undefined): Pick<PipelineSpecInput, 'jobManager' | 'taskManager'> {
  if (cpu === undefined && diskMb === undefined) return {};
  const jobManager = pipelineSpecSchema.shape.jobManager.parse(undefined);
  const taskManager = pipelineSpecSchema.shape.taskManager.parse(undefined);
  return {
    jobManager: { ...jobManager, cpu: cpu ?? jobManager.cpu },
    taskManager: { ...taskManager, cpu: cpu ?? taskManager.cpu, ...(diskMb === undefined ? {} : { ephemeralStorageMb: diskMb }) },
  };
}
/** What the workflow works with: every default filled in. */
export type PipelineSpec = z.output<typeof pipelineSpecSchema>;

export class InvalidSpecError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid pipeline spec: ${problems.join('; ')}`);
    this.name = 'InvalidSpec';
  }
}

function describeIssue(issue: z.core.$ZodIssue): string {
  // Flink option keys contain dots themselves, so they are shown in brackets.
  const path = issue.path.map(String).reduce((at, key) => (key.includes('.') ? `${at}["${key}"]` : `${at}.${key}`), 'spec');
  const message = issue.code === 'invalid_type' && issue.message.endsWith('received undefined') ? 'is required' : issue.message;
  return `${path}: ${message}`;
}

/** Returns the spec with defaults, or throws InvalidSpecError naming each field and the rule it broke. */
export function parsePipelineSpec(input: unknown): PipelineSpec {
  const parsed = pipelineSpecSchema.safeParse(input);
  if (!parsed.success) throw new InvalidSpecError(parsed.error.issues.map(describeIssue));
  return parsed.data;
}

/** A rescale's parallelism judged by the spec's own rule: `parallelism: <rule>`, or undefined when it is valid. */
export function parallelismProblem(value: unknown): string | undefined {
  const parsed = parallelism.safeParse(value);
  return parsed.success ? undefined : `parallelism: ${parsed.error.issues.map((issue) => issue.message).join('; ')}`;
}

export function pipelineKind(spec: Pick<PipelineSpec, 'job'>): 'pipeline' | 'connection' {
  return spec.job.kind === 'sql' ? 'pipeline' : 'connection';
}

/** The workflow's memo: what an operator sees in the Temporal UI's list, with no secret in it. */
export function pipelineSummary(spec: Pick<PipelineSpec, 'tenant' | 'name' | 'job' | 'parallelism'>): string {
  return `${pipelineKind(spec)} ${spec.tenant}/${spec.name}: ${spec.job.kind === 'sql' ? 'SQL script' : spec.job.entryClass}, parallelism ${spec.parallelism}`;
}

export function pipelineWorkflowId(tenant: string, name: string): string {
  return `pipeline/${tenant}/${name}`;
}
