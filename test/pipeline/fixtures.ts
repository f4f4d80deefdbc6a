import type { PipelineSpecInput } from '../../workflows/pipeline/spec';
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

export function wordCountConnection(tenant: string, name: string): PipelineSpecInput {
  return {
    tenant, name,
    job: { kind: 'jar', jarUri: `file://${toolchain().flinkExamplesJar}`, entryClass: 'org.apache.flink.streaming.examples.wordcount.WordCount', args: [] },
  };
}
