import { tenantStoragePrefixOf } from '../../activities/pipeline/tenant-storage';
import { putArtifact } from '../../client/artifacts';
import type { FlinkRuntime } from '../../activities/runtime/types';
import assert from 'node:assert/strict';
import { InvalidSpecError, parsePipelineSpec, type PipelineSpecInput } from '../../workflows/pipeline/spec';
import { toolchain } from '../../scripts/toolchain';
import { clusterLayout } from '../../activities/runtime/local/layout';
import { isRunning, listPids } from '../../activities/runtime/local/processes';

export const DATAGEN_TO_BLACKHOLE = [
  "CREATE TABLE numbers (n BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '20');",
  "CREATE TABLE sink (n BIGINT) WITH ('connector' = 'blackhole');",
  'INSERT INTO sink SELECT n FROM numbers;',
].join('\n');

export function sqlPipeline(tenant: string, name: string, overrides: Partial<PipelineSpecInput> = {}): PipelineSpecInput {
  return {
    tenant, name, job: { kind: 'sql', script: DATAGEN_TO_BLACKHOLE },
    flinkOptions: { 'execution.checkpointing.interval': '2 s' },
    ...overrides,
  };
}

/** SIGKILLs one JVM (`jobmanager`, `taskmanager-1`...) of a local-runtime cluster, as a crash would. */
export function killClusterProcess(stateDir: string, cluster: string, processName: string): void {
  const pid = listPids(clusterLayout(stateDir, cluster).dir).get(processName);
  assert.ok(pid && isRunning(pid), `${processName} of ${cluster} should be running`);
  process.kill(pid, 'SIGKILL');
}

/** The root all tenants' storage lies under, as the worker's runtime has it. */
export function storageRootOf(runtime: FlinkRuntime): string {
  const prefix = tenantStoragePrefixOf(runtime, 'x');
  return prefix.slice(0, -'x/'.length);
}

/** A jar comes only from the tenant's artifact area: it is put there first, as `flink-fleet artifact put` does. Its digest. */
export async function tenantJar(runtime: FlinkRuntime, tenant: string, jar: string): Promise<string> {
  return (await putArtifact(storageRootOf(runtime), tenant, jar)).digest;
}

export async function wordCountConnection(runtime: FlinkRuntime, tenant: string, name: string): Promise<PipelineSpecInput> {
  return {
    tenant, name,
    job: { kind: 'jar', jar: await tenantJar(runtime, tenant, toolchain().flinkExamplesJar), entryClass: 'org.apache.flink.streaming.examples.wordcount.WordCount', args: [] },
  };
}

/** What the spec's schema says is wrong with `input`; empty when it is valid. */
export function problemsOf(input: unknown): readonly string[] {
  try {
    parsePipelineSpec(input);
    return [];
  } catch (error) {
    assert.ok(error instanceof InvalidSpecError);
    return error.problems;
  }
}
