import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { FlinkErrorType, flinkErrorType } from './errors';
import { parseJsonLossless } from './lossless-json';
import { FlinkHttp, type FlinkHttpOptions } from './rest-client';

/**
 * Typed calls to the Flink SQL Gateway's REST API (v2). Statements run asynchronously: executing
 * one returns an operation handle at once, and a mistake in the SQL (parse, validation, unknown
 * table or connector) surfaces when its results are fetched, as InvalidSql through
 * `classifyFlinkError`, with Flink's message and the line and column it gives.
 */
export const OPERATION_STATUSES = ['INITIALIZED', 'PENDING', 'RUNNING', 'FINISHED', 'CANCELED', 'CLOSED', 'ERROR', 'TIMEOUT'] as const;
export type OperationStatus = (typeof OPERATION_STATUSES)[number];

export type RowKind = 'INSERT' | 'UPDATE_BEFORE' | 'UPDATE_AFTER' | 'DELETE';

export interface SqlRow {
  readonly kind: RowKind;
  /**
   * Flink's JSON row format: numbers, strings, booleans, null, arrays and objects. An integer beyond
   * 2^53 (a large BIGINT) is a string of its exact digits: as a number it would be rounded.
   */
  readonly fields: unknown[];
}

export interface SqlColumn {
  readonly name: string;
  /** Flink's logical type root, e.g. `BIGINT`, `VARCHAR`. */
  readonly type: string;
  readonly nullable: boolean;
}

export interface SqlResultPage {
  /** NOT_READY: ask again with the same token; EOS: nothing will follow. */
  readonly resultType: 'NOT_READY' | 'PAYLOAD' | 'EOS';
  readonly columns: SqlColumn[];
  readonly rows: SqlRow[];
  readonly nextToken?: number;
  /** The Flink job running the statement (a query or an INSERT); absent for DDL. */
  readonly jobId?: string;
}

export interface ResultPagingOptions {
  /** Stops paging (and the request in flight) quietly: the iteration just ends. */
  readonly signal?: AbortSignal;
  /** The wait after a NOT_READY or empty page, so a slow source is not polled in a busy loop. */
  readonly pollIntervalMs?: number;
}

const DEFAULT_POLL_INTERVAL_MS = 200;

function nextToken(nextResultUri: string | undefined): number | undefined {
  const token = nextResultUri === undefined ? undefined : /\/result\/(\d+)/.exec(nextResultUri)?.[1];
  return token === undefined ? undefined : Number(token);
}

const column = z.object({ name: z.string(), logicalType: z.object({ type: z.string(), nullable: z.boolean() }) })
  .transform((c): SqlColumn => ({ name: c.name, type: c.logicalType.type, nullable: c.logicalType.nullable }));

const row = z.object({ kind: z.enum(['INSERT', 'UPDATE_BEFORE', 'UPDATE_AFTER', 'DELETE']), fields: z.array(z.unknown()) });

const resultPage: z.ZodType<SqlResultPage> = z.object({
  resultType: z.enum(['NOT_READY', 'PAYLOAD', 'EOS']),
  jobID: z.string().nullish(),
  results: z.object({ columns: z.array(column), data: z.array(row) }).nullish(),
  nextResultUri: z.string().nullish(),
}).transform((page) => ({
  resultType: page.resultType,
  columns: page.results?.columns ?? [],
  rows: page.results?.data ?? [],
  nextToken: nextToken(page.nextResultUri ?? undefined),
  jobId: page.jobID ?? undefined,
}));

const sessionHandle = z.object({ sessionHandle: z.string() }).transform((o) => o.sessionHandle);
const operationHandle = z.object({ operationHandle: z.string() }).transform((o) => o.operationHandle);
const operationStatus = z.object({ status: z.enum(OPERATION_STATUSES) }).transform((o) => o.status);
/** For answers whose body carries nothing we need (`{ status: 'CLOSED' }`, `{}`). */
const ignored = z.unknown();

export interface StatementResult {
  readonly columns: SqlColumn[];
  readonly rows: SqlRow[];
  readonly jobId?: string;
}

export class SqlGatewayClient {
  private readonly http: FlinkHttp;

  constructor(baseUrl: string, options: FlinkHttpOptions = {}) {
    this.http = new FlinkHttp(baseUrl, options);
  }

  /** `properties` are session-wide Flink options, e.g. `execution.runtime-mode`, `pipeline.name`. */
  openSession(properties: Record<string, string> = {}, sessionName?: string): Promise<string> {
    return this.http.request('POST', '/v2/sessions', sessionHandle, { body: { properties, sessionName } });
  }

  /** Idempotent: a session that is already gone (closed, expired, gateway restarted) counts as closed. */
  async closeSession(session: string): Promise<void> {
    try {
      await this.http.request('DELETE', sessionPath(session), ignored);
    } catch (error) {
      if (flinkErrorType(error) !== FlinkErrorType.SqlSessionNotFound) throw error;
    }
  }

  /** Keeps an idle session from expiring (`sql-gateway.session.idle-timeout`, 10 minutes by default). */
  async heartbeat(session: string): Promise<void> {
    await this.http.request('POST', `${sessionPath(session)}/heartbeat`, ignored);
  }

  /** Returns the operation handle; `executionConfig` applies to this statement only. */
  executeStatement(session: string, sql: string, options: { executionConfig?: Record<string, string> } = {}): Promise<string> {
    const body = { statement: sql, executionConfig: options.executionConfig };
    return this.http.request('POST', `${sessionPath(session)}/statements`, operationHandle, { body });
  }

  operationStatus(session: string, operation: string): Promise<OperationStatus> {
    return this.http.request('GET', `${operationPath(session, operation)}/status`, operationStatus);
  }

  fetchResults(session: string, operation: string, token: number, signal?: AbortSignal): Promise<SqlResultPage> {
    return this.http.request('GET', `${operationPath(session, operation)}/result/${token}?rowFormat=JSON`, resultPage, { signal, parse: parseJsonLossless });
  }

  /**
   * Every PAYLOAD page, then the EOS page, following the tokens from the first; NOT_READY pages are
   * waited out. An unbounded query never reaches EOS: stop it with the signal, or by leaving the loop.
   */
  async *results(session: string, operation: string, options: ResultPagingOptions = {}): AsyncGenerator<SqlResultPage> {
    const { signal } = options;
    const pause = (): Promise<void> => sleep(options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS, undefined, { signal });
    let token: number | undefined = 0;
    try {
      while (token !== undefined && !signal?.aborted) {
        const page = await this.fetchResults(session, operation, token, signal);
        if (page.resultType !== 'NOT_READY') yield page;
        if (page.resultType === 'NOT_READY' || page.rows.length === 0) await pause();
        token = page.resultType === 'NOT_READY' ? page.nextToken ?? token : page.nextToken;
      }
    } catch (error) {
      if (!signal?.aborted) throw error;
    }
  }

  /** Runs a statement to its end: for DDL, SET and bounded queries, not for unbounded ones. */
  async executeAndCollect(session: string, sql: string, options: { executionConfig?: Record<string, string>; signal?: AbortSignal } = {}): Promise<StatementResult> {
    const operation = await this.executeStatement(session, sql, options);
    const rows: SqlRow[] = [];
    let columns: SqlColumn[] = [];
    let jobId: string | undefined;
    try {
      for await (const page of this.results(session, operation, { signal: options.signal })) {
        rows.push(...page.rows);
        columns = page.columns.length > 0 ? page.columns : columns;
        jobId ??= page.jobId;
      }
    } finally {
      // After a failure the statement's own error is the one worth reporting, not the close's.
      await this.closeOperation(session, operation).catch(() => undefined);
    }
    return { columns, rows, jobId };
  }

  /**
   * For an operation still running (e.g. a long DDL). Not for stopping a query: once a query's job is
   * submitted its operation is FINISHED, and the gateway refuses with 500 "Failed to convert the
   * Operation Status from FINISHED to CANCELED". Use `closeOperation`.
   */
  async cancelOperation(session: string, operation: string): Promise<void> {
    await this.http.request('POST', `${operationPath(session, operation)}/cancel`, ignored);
  }

  /**
   * The reliable way to stop a query: closing its operation cancels the Flink job behind it and
   * frees its result buffer. An INSERT's job is detached and keeps running; cancel that by job id.
   * Idempotent: an operation or session already gone counts as closed.
   */
  async closeOperation(session: string, operation: string): Promise<void> {
    try {
      await this.http.request('DELETE', `${operationPath(session, operation)}/close`, ignored);
    } catch (error) {
      const type = flinkErrorType(error);
      if (type !== FlinkErrorType.SqlSessionNotFound && type !== FlinkErrorType.SqlOperationNotFound) throw error;
    }
  }
}

function sessionPath(session: string): string {
  return `/v2/sessions/${encodeURIComponent(session)}`;
}

function operationPath(session: string, operation: string): string {
  return `${sessionPath(session)}/operations/${encodeURIComponent(operation)}`;
}
