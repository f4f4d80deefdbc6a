import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { rowsQuery, type PreviewColumn, type PreviewResult, type PreviewRow } from '../workflows/preview/api';
import { previewWorkflowId, type PreviewRequestInput } from '../workflows/preview/request';
import { FleetJobState, FleetKind, FleetTenant } from '../workflows/search-attributes';
import { FleetError } from './errors';
import { checkPreviewRequest } from './spec-checks';

export type PreviewOptions = Omit<PreviewRequestInput, 'tenant' | 'sql'> & {
  /** How often the iterator asks the workflow for new rows (default 50 ms). */
  readonly pollIntervalMs?: number;
};

/** Rows as they arrive (`for await`), then the summary. */
export interface PreviewStream extends AsyncIterable<PreviewRow> {
  readonly workflowId: string;
  /** The result's columns, known once the first page has arrived. */
  columns(): PreviewColumn[];
  result(): Promise<PreviewResult>;
}

const DEFAULT_POLL_MS = 50;

/**
 * Starts `preview/<tenant>/<uuid>` after checking the request's fields here, and streams its rows by
 * polling the `rows` query with an offset: a query costs the workflow's history nothing, unlike a
 * signal or an Update per page. The SQL is judged by the workflow, on Flink's own reading of it
 * (only the worker runs Flink); its refusal, InvalidPreview, surfaces here as an InvalidSpec FleetError.
 */
export async function startPreview(temporal: Client, taskQueue: string, tenant: string, sql: string, options: PreviewOptions = {}): Promise<PreviewStream> {
  const { pollIntervalMs = DEFAULT_POLL_MS, ...rest } = options;
  const input: PreviewRequestInput = { ...rest, tenant, sql };
  checkPreviewRequest(input);
  const workflowId = previewWorkflowId(tenant, crypto.randomUUID());
  const handle = await temporal.workflow.start('preview', {
    taskQueue, workflowId, args: [input],
    typedSearchAttributes: [{ key: FleetTenant, value: tenant }, { key: FleetKind, value: 'preview' }, { key: FleetJobState, value: 'Running' }],
    memo: { summary: `preview ${tenant}: ${sql.slice(0, 80).replace(/\s+/g, ' ')}` },
  });
  const result = (): Promise<PreviewResult> => (handle.result() as Promise<PreviewResult>).catch((error: unknown) => {
    if (error instanceof WorkflowFailedError && error.cause instanceof ApplicationFailure && error.cause.type === 'InvalidPreview') {
      throw new FleetError('InvalidSpec', error.cause.message);
    }
    throw error;
  });
  let columns: PreviewColumn[] = [];
  async function* rows(): AsyncGenerator<PreviewRow> {
    let offset = 0;
    for (;;) {
      const page = await handle.query(rowsQuery, offset).catch(() => undefined);
      // A query fails once the workflow failed (or a worker is missing); the result says why.
      if (!page) {
        const final = await result();
        columns = final.columns;
        yield* final.rows.slice(offset);
        return;
      }
      if (page.columns.length > 0) columns = page.columns;
      yield* page.rows;
      offset = page.next;
      if (page.done) return;
      await sleep(pollIntervalMs);
    }
  }
  return { workflowId, columns: () => columns, result, [Symbol.asyncIterator]: rows };
}
