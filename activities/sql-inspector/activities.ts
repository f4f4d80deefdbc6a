import { ApplicationFailure } from '@temporalio/common';
import type { PipelineRef } from '../../workflows/pipeline/activity-types';
import type { SqlInspection } from '../../workflows/sql/inspection';
import { withHeartbeat } from '../heartbeat';
import type { FlinkRuntime } from '../runtime/types';
import { SqlInspectionTimeout, type SqlInspector } from './inspector';

export interface PipelineSqlInspection {
  readonly inspection: SqlInspection;
  /** The only place the pipeline's filesystem tables may point: its own storage. */
  readonly storageUri: string;
}

/**
 * Flink's reading of a script, from the worker's warm inspector JVM. The workflows judge the answer
 * with their pure policies. An inspector that died is retried (a new JVM starts); a script that
 * keeps a warm planner busy past its budget is refused, not retried.
 */
export function createSqlInspectorActivities(inspector: SqlInspector, runtime: FlinkRuntime) {
  async function inspect(script: string): Promise<SqlInspection> {
    try {
      // Heartbeats: a worker that dies while its JVM starts costs the caller seconds, not the timeout.
      return await withHeartbeat(() => inspector.inspect(script));
    } catch (error) {
      if (error instanceof SqlInspectionTimeout) throw ApplicationFailure.nonRetryable(error.message, 'InvalidSql');
      throw error;
    }
  }

  return {
    async inspectSql(input: { readonly script: string }): Promise<SqlInspection> {
      return inspect(input.script);
    },

    async inspectPipelineSql(input: PipelineRef & { readonly script: string }): Promise<PipelineSqlInspection> {
      return { inspection: await inspect(input.script), storageUri: runtime.storageUri(input) };
    },
  };
}

export type SqlInspectorActivities = ReturnType<typeof createSqlInspectorActivities>;
