import type { ApplicationClusterSpec, SessionClusterSpec } from '../../activities/runtime/types';

/** Specs the kubernetes tests build clusters from; kwok runs no Flink, so the job never has to be real. */
export const JOB_ID = '0123456789abcdef0123456789abcdef';

export function sqlPipeline(tenant: string, name: string, overrides: Partial<ApplicationClusterSpec> = {}): ApplicationClusterSpec {
  return {
    tenant, name, jobId: JOB_ID, job: { kind: 'sql', script: 'INSERT INTO sink SELECT * FROM source;' },
    parallelism: 1, slotsPerTaskManager: 1, jobManager: { cpu: 0.5, memoryMb: 1024 }, taskManager: { cpu: 0.5, memoryMb: 1024 },
    ...overrides,
  };
}

export function jarConnection(tenant: string, name: string, overrides: Partial<ApplicationClusterSpec> = {}): ApplicationClusterSpec {
  return sqlPipeline(tenant, name, {
    job: { kind: 'jar', digest: `sha256:${'ab'.repeat(32)}`, entryClass: 'com.example.Connector', args: ['--topic', 'orders'] },
    ...overrides,
  });
}

export function sessionCluster(tenant: string, name: string): SessionClusterSpec {
  return { tenant, name, jobManager: { cpu: 0.5, memoryMb: 1024 }, taskManager: { cpu: 0.25, memoryMb: 1024 } };
}
