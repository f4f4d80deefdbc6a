import { WorkflowFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, type Client, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { nextRowsUpdate, type PreviewColumn, type PreviewResult, type PreviewRow, type RowsPage } from '../workflows/preview/api';
import { previewWorkflowId, type PreviewRequestInput } from '../workflows/preview/request';
import { FleetJobState, FleetKind, FleetTenant } from '../workflows/search-attributes';
import { FleetError } from './errors';
import { checkPreviewRequest } from './spec-checks';
import { WORKFLOW_TASK_TIMEOUT } from './workflow-task-timeout';

export type PreviewOptions = Omit<PreviewRequestInput, 'tenant' | 'sql'>;

/** Rows as they arrive (`for await`), then the summary. */
export interface PreviewStream extends AsyncIterable<PreviewRow> {
  readonly workflowId: string;
  /** The result's columns, known once the first page has arrived. */
  columns(): PreviewColumn[];
  result(): Promise<PreviewResult>;
}

/**
 * Starts `preview/<tenant>/<uuid>` after checking the request's fields here, and streams its rows
 * with the `nextRows` Update, which waits in the workflow until rows past the offset exist: no poll
 * loads the worker, and each Update (two history events and a workflow task) brings rows or the end.
 * The SQL is judged by the workflow, on Flink's own reading of it
 * (only the worker runs Flink); its refusal, InvalidPreview, surfaces here as an InvalidSpec FleetError.
 */
export async function startPreview(temporal: Client, taskQueue: string, tenant: string, sql: string, options: PreviewOptions = {}): Promise<PreviewStream> {
  const input: PreviewRequestInput = { ...options, tenant, sql };
  checkPreviewRequest(input);
  const workflowId = previewWorkflowId(tenant, crypto.randomUUID());
  const handle = await temporal.workflow.start('preview', {
    taskQueue, workflowId, args: [input], workflowTaskTimeout: WORKFLOW_TASK_TIMEOUT,
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
      const page = await nextRows(handle, offset);
      // An Update fails once the workflow has closed (failed, or ended before the caller asked); the result says why.
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
    }
  }
  return { workflowId, columns: () => columns, result, [Symbol.asyncIterator]: rows };
}

/** The next page, or undefined once the workflow cannot answer any more. */
async function nextRows(handle: WorkflowHandle, offset: number): Promise<RowsPage | undefined> {
  for (;;) {
    try {
      return await handle.executeUpdate(nextRowsUpdate, { args: [offset] });
    } catch (error) {
      // The server gave up waiting for a worker to accept it (one restarting, or busy): ask again.
      if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError) continue;
      return undefined;
    }
  }
}
