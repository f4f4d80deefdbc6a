import { JAR_DIGEST, JAR_DIGEST_RULE } from '../../../workflows/pipeline/jar-digest';
import { isDns1123Label } from '../../names';
import type { ApplicationClusterSpec, ProcessResources, SecretEnv, SessionClusterSpec } from '../types';
import { InvalidClusterSpec } from './errors';
import { ephemeralStorageMb } from './manifests/container';
import type { Component } from './manifests/labels';
import { taskManagerCount } from '../scaling';
import type { TenantEgress, TenantPlan } from './manifests/tenant';
import { clusterRangeProblems, declaredCidrProblem, type DeclaredEndpoint } from '../../../workflows/pipeline/egress';

/**
 * Checks, before any API call, what Kubernetes would refuse later or what no retry can fix. Pure:
 * returns the problems (field: rule), and `assertValid` turns them into one typed error.
 */
export const MIN_MEMORY_MB = 768; // Flink cannot fit its JVM overhead and metaspace in less
export const MIN_EPHEMERAL_STORAGE_MB = 512; // logs and the blob cache of a JVM that does nothing yet
const IMAGE = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;
const JOB_ID = /^[0-9a-f]{32}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

type Problems = string[];

export function tenantProblems(tenant: string, maxLength: number): Problems {
  return isDns1123Label(tenant, maxLength) ? [] : [`tenant: must be a DNS-1123 label of at most ${maxLength} characters (lowercase letters, digits, '-')`];
}

function nameProblems(spec: { tenant: string; name: string }, tenantMax: number): Problems {
  const name = isDns1123Label(spec.name) ? [] : ["name: must be a DNS-1123 label (lowercase letters, digits, '-', at most 63)"];
  return [...tenantProblems(spec.tenant, tenantMax), ...name];
}

/** One container: what it asks for, and as what (which default disk it gets). */
type Process = readonly [ProcessResources, Component];

function resourceProblems(field: string, [resources, role]: Process, plan: TenantPlan): Problems {
  const problems: Problems = [];
  const { cpu, memoryMb } = resources;
  const disk = ephemeralStorageMb(resources, role);
  if (!Number.isFinite(cpu) || cpu <= 0) problems.push(`${field}.cpu: must be more than 0 cores`);
  else if (cpu > plan.maxContainer.cpu) problems.push(`${field}.cpu: must be at most ${plan.maxContainer.cpu} cores (the tenant's largest container)`);
  if (!Number.isInteger(memoryMb) || memoryMb < MIN_MEMORY_MB) problems.push(`${field}.memoryMb: must be a whole number of at least ${MIN_MEMORY_MB} MB`);
  else if (memoryMb > plan.maxContainer.memoryMb) problems.push(`${field}.memoryMb: must be at most ${plan.maxContainer.memoryMb} MB (the tenant's largest container)`);
  if (!Number.isInteger(disk) || disk < MIN_EPHEMERAL_STORAGE_MB) problems.push(`${field}.ephemeralStorageMb: must be a whole number of at least ${MIN_EPHEMERAL_STORAGE_MB} MB`);
  else if (disk > plan.maxContainer.ephemeralStorageMb) {
    const max = plan.maxContainer.ephemeralStorageMb;
    problems.push(resources.ephemeralStorageMb === undefined
      ? `${field}.ephemeralStorageMb: the ${role}'s default of ${disk} MB is more than the tenant's largest container (${max} MB); set one of at most ${max} MB`
      : `${field}.ephemeralStorageMb: must be at most ${max} MB (the tenant's largest container)`);
  }
  return problems;
}

export function imageProblems(image: string): Problems {
  return image.length <= 255 && IMAGE.test(image) ? [] : ['image: must be a container image reference (registry/repository:tag, no spaces)'];
}

function secretEnvProblems(secretEnv: readonly SecretEnv[]): Problems {
  return secretEnv.flatMap((entry, i) => [
    ...(ENV_NAME.test(entry.env) ? [] : [`secretEnv[${i}].env: must be an environment variable name`]),
    ...(entry.secretName.length <= 253 && DNS_SUBDOMAIN.test(entry.secretName) ? [] : [`secretEnv[${i}].secretName: must be a Secret name`]),
    ...(SECRET_KEY.test(entry.key) ? [] : [`secretEnv[${i}].key: must be a Secret key`]),
  ]);
}

/** All of a cluster at once against the tenant's plan: a cluster larger than the quota can never start. */
function totalProblems(processes: readonly Process[], plan: TenantPlan): Problems {
  const cpu = processes.reduce((sum, [p]) => sum + p.cpu, 0);
  const memoryMb = processes.reduce((sum, [p]) => sum + p.memoryMb, 0);
  const disk = processes.reduce((sum, [p, role]) => sum + ephemeralStorageMb(p, role), 0);
  return [
    ...(cpu > plan.cpu ? [`resources: the cluster needs ${cpu} cores, more than the tenant's quota of ${plan.cpu}`] : []),
    ...(memoryMb > plan.memoryMb ? [`resources: the cluster needs ${memoryMb} MB, more than the tenant's quota of ${plan.memoryMb} MB`] : []),
    ...(disk > plan.ephemeralStorageMb ? [`resources: the cluster needs ${disk} MB of ephemeral storage, more than the tenant's quota of ${plan.ephemeralStorageMb} MB`] : []),
    ...(processes.length > plan.pods ? [`parallelism: the cluster needs ${processes.length} pods, more than the tenant's quota of ${plan.pods}`] : []),
  ];
}

function intProblems(field: string, value: number, min: number, max: number): Problems {
  return Number.isInteger(value) && value >= min && value <= max ? [] : [`${field}: must be a whole number from ${min} to ${max}`];
}

export function applicationSpecProblems(spec: ApplicationClusterSpec, image: string, plan: TenantPlan, tenantMax: number): Problems {
  const problems = [
    ...nameProblems(spec, tenantMax), ...imageProblems(image),
    ...(JOB_ID.test(spec.jobId) ? [] : ['jobId: must be 32 lowercase hex characters']),
    ...intProblems('parallelism', spec.parallelism, 1, 1024), ...intProblems('slotsPerTaskManager', spec.slotsPerTaskManager, 1, 64),
    ...resourceProblems('jobManager', [spec.jobManager, 'jobmanager'], plan), ...resourceProblems('taskManager', [spec.taskManager, 'taskmanager'], plan),
    ...secretEnvProblems(spec.secretEnv ?? []),
    ...(spec.job.kind === 'jar' && !JAR_DIGEST.test(spec.job.digest) ? [`job.digest: ${JAR_DIGEST_RULE}`] : []),
    ...(spec.job.kind === 'sql' && spec.job.script.trim() === '' ? ['job.script: must not be empty'] : []),
  ];
  if (problems.length > 0) return problems;
  const taskManagers = Array.from({ length: taskManagerCount(spec) }, (): Process => [spec.taskManager, 'taskmanager']);
  return totalProblems([[spec.jobManager, 'jobmanager'], ...taskManagers], plan);
}

/** The spec's own rules again (this runtime is an edge too), then the cluster's own ranges, which only the worker knows. */
export function declaredEgressProblems(endpoints: readonly DeclaredEndpoint[], wall: TenantEgress | undefined): Problems {
  const own = endpoints.flatMap(({ cidr }, i) => {
    const problem = declaredCidrProblem(cidr);
    return problem ? [`egress.${i}.cidr: ${problem}`] : [];
  });
  return own.length > 0 ? own : clusterRangeProblems(endpoints, wall?.clusterRanges ?? []);
}

/**
 * The widest parallelism whose cluster (the JobManager and one TaskManager per `slotsPerTaskManager`
 * slots, each as `spec` sizes them) the tenant's plan holds, by the same sums as `totalProblems`;
 * 0 when not even one TaskManager fits. Pure.
 */
export function planMaxParallelism(spec: Pick<ApplicationClusterSpec, 'jobManager' | 'taskManager' | 'slotsPerTaskManager'>, plan: TenantPlan): number {
  const fits = (taskManagers: number): boolean => totalProblems([[spec.jobManager, 'jobmanager'],
    ...Array.from({ length: taskManagers }, (): Process => [spec.taskManager, 'taskmanager'])], plan).length === 0;
  // A cluster is a pod per TaskManager plus its JobManager: the quota's pods bound the search.
  let taskManagers = 0;
  while (taskManagers < plan.pods && fits(taskManagers + 1)) taskManagers += 1;
  return taskManagers * spec.slotsPerTaskManager;
}

export function sessionSpecProblems(spec: SessionClusterSpec, image: string, plan: TenantPlan, tenantMax: number): Problems {
  const problems = [...nameProblems(spec, tenantMax), ...imageProblems(image),
    ...resourceProblems('jobManager', [spec.jobManager, 'jobmanager'], plan),
    ...resourceProblems('taskManager', [spec.taskManager, 'taskmanager'], plan)];
  // The JobManager, the gateway (sized like it) and at least one pool TaskManager.
  return problems.length > 0 ? problems
    : totalProblems([[spec.jobManager, 'jobmanager'], [spec.jobManager, 'gateway'], [spec.taskManager, 'taskmanager']], plan);
}

export function taskManagerIdProblems(taskManagerId: string): Problems {
  return isDns1123Label(taskManagerId) ? [] : ["taskManagerId: must be a DNS-1123 label (it is the pod's name and Flink's resource id)"];
}

export function assertValid(cluster: string, problems: Problems): void {
  if (problems.length > 0) throw new InvalidClusterSpec(cluster, problems);
}

