import { copyFileSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { tenantStoragePrefixOf } from '../../activities/pipeline/tenant-storage';
import type { FlinkRuntime } from '../../activities/runtime/types';
import assert from 'node:assert/strict';
import { InvalidSpecError, parsePipelineSpec, type PipelineSpecInput } from '../../workflows/pipeline/spec';
import { toolchain } from '../../scripts/toolchain';

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

/** A file:// jar may only come from the tenant's own storage: the jar is put there first, as a tenant would upload it. */
export function tenantJar(runtime: FlinkRuntime, tenant: string, jar: string): string {
  const dir = join(fileURLToPath(tenantStoragePrefixOf(runtime, tenant)), 'jobs');
  mkdirSync(dir, { recursive: true });
  copyFileSync(jar, join(dir, basename(jar)));
  return pathToFileURL(join(dir, basename(jar))).href;
}

export function wordCountConnection(runtime: FlinkRuntime, tenant: string, name: string): PipelineSpecInput {
  return {
    tenant, name,
    job: { kind: 'jar', jarUri: tenantJar(runtime, tenant, toolchain().flinkExamplesJar), entryClass: 'org.apache.flink.streaming.examples.wordcount.WordCount', args: [] },
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
