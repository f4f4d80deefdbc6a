import { ApplicationFailure, type RetryPolicy } from '@temporalio/common';

/**
 * Turns everything that can go wrong in a call to Flink's REST API or SQL Gateway into what an
 * activity should throw: a retryable failure when Flink is (perhaps only for now) unavailable, a
 * non-retryable `ApplicationFailure` with a type name when the user's input is at fault.
 */
export const FlinkErrorType = {
  Unavailable: 'FlinkUnavailable',
  InvalidSql: 'InvalidSql',
  InvalidJar: 'InvalidJar',
  JobFailed: 'FlinkJobFailed',
  JobNotFound: 'JobNotFound',
  TaskManagerNotFound: 'TaskManagerNotFound',
  SqlSessionNotFound: 'SqlSessionNotFound',
  SqlOperationNotFound: 'SqlOperationNotFound',
  NotFound: 'FlinkNotFound',
  BadRequest: 'FlinkBadRequest',
  UnexpectedResponse: 'FlinkUnexpectedResponse',
} as const;

export type FlinkErrorTypeName = (typeof FlinkErrorType)[keyof typeof FlinkErrorType];

/**
 * For activities that call Flink: a JobManager restarting or a TaskManager registering takes tens of
 * seconds, so retries back off to half a minute; ten attempts span about three minutes, after which
 * the workflow decides what to do instead of waiting forever.
 */
export const FLINK_RETRY_POLICY: RetryPolicy = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '30 seconds',
  maximumAttempts: 10,
};

/** One link of a Java exception chain as Flink prints it: the outermost first, the root cause last. */
export interface JavaCause {
  /** Fully qualified, e.g. `org.apache.flink.table.api.ValidationException`; empty for a bare message. */
  readonly className: string;
  readonly message: string;
}

/** Flink answered, with an error status. */
export class FlinkRequestError extends Error {
  override readonly name = 'FlinkRequestError';

  constructor(readonly method: string, readonly url: string, readonly status: number, readonly causes: readonly JavaCause[]) {
    super(`${method} ${url} answered ${status}: ${sqlErrorMessage(causes) ?? rootCause(causes)}`);
  }
}

/** No answer at all: connection refused or reset, a timeout, an abort. */
export class FlinkUnreachable extends Error {
  override readonly name = 'FlinkUnreachable';

  constructor(readonly method: string, readonly url: string, readonly reason: string) {
    super(`${method} ${url}: ${reason}`);
  }
}

/** An answer that is not what this Flink version should send; retrying will not change it. */
export class FlinkResponseInvalid extends Error {
  override readonly name = 'FlinkResponseInvalid';

  constructor(readonly method: string, readonly url: string, readonly status: number, readonly problem: string) {
    super(`${method} ${url} answered ${status} with an unexpected body: ${problem}`);
  }
}

const MAX_MESSAGE_LENGTH = 1_000;
const JAVA_CLASS = /^((?:[A-Za-z_$][\w$]*\.)+[A-Z][\w$]*)(?::\s?(.*))?$/;
const SERVER_SIDE_WRAPPER = /^<Exception on server side:\n|\n*End of exception on server side>\s*$/g;

/**
 * Flink's error bodies hold whole Java stack traces (`{ errors: [...] }`). Keeps each exception's
 * class and message, including multi-line messages, and drops the frames.
 */
export function parseJavaTrace(trace: string): JavaCause[] {
  const causes: { className: string; lines: string[] }[] = [];
  for (const line of trace.replace(SERVER_SIDE_WRAPPER, '').split('\n')) {
    if (line.startsWith('\t')) continue;
    const head = causes.length === 0 || line.startsWith('Caused by: ') ? line.replace(/^Caused by: /, '') : undefined;
    const current = causes.at(-1);
    if (head === undefined && current) {
      current.lines.push(line);
      continue;
    }
    const match = JAVA_CLASS.exec(head ?? line);
    causes.push(match ? { className: match[1] ?? '', lines: [match[2] ?? ''] } : { className: '', lines: [line] });
  }
  return causes.map((c) => ({ className: c.className, message: c.lines.join('\n').trim() }));
}

/** All the exceptions of an `{ errors: [...] }` body, skipping Flink's "Internal server error." filler. */
export function parseErrorBody(errors: readonly string[]): JavaCause[] {
  return errors.filter((e) => e !== 'Internal server error.').flatMap(parseJavaTrace);
}

function simpleName(className: string): string {
  return className.slice(className.lastIndexOf('.') + 1);
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? '';
}

function clip(text: string): string {
  return text.length > MAX_MESSAGE_LENGTH ? `${text.slice(0, MAX_MESSAGE_LENGTH - 1)}…` : text;
}

/** The root cause's first line, e.g. `ConnectException: Connection refused`. */
export function rootCause(causes: readonly JavaCause[]): string {
  const root = causes.at(-1);
  if (!root) return 'no error message';
  const message = firstLine(root.message);
  if (!root.className) return clip(message);
  return clip(message ? `${simpleName(root.className)}: ${message}` : simpleName(root.className));
}

const SQL_EXCEPTION = /^org\.apache\.flink\.table\.(api\.(SqlParserException|ValidationException|TableException)|catalog\.exceptions\.\w+)$/;

function sentence(text: string): string {
  return /[.!?:]$/.test(text) ? text : `${text}.`;
}

/**
 * What a person needs from a SQL error: the first line of each of Flink's own SQL exceptions in the
 * chain (Calcite's repeat them), which carry the line and column, plus the connectors Flink knows
 * when it could not find the one asked for.
 */
export function sqlErrorMessage(causes: readonly JavaCause[]): string | undefined {
  const sqlCauses = causes.filter((c) => SQL_EXCEPTION.test(c.className) && c.message);
  if (sqlCauses.length === 0) return undefined;
  const parts: string[] = [];
  for (const cause of sqlCauses) {
    const line = firstLine(cause.message).trim();
    if (!parts.some((p) => p.includes(line))) parts.push(sentence(line));
    const factories = /Available factory identifiers are:\s*\n([\s\S]*)$/.exec(cause.message)?.[1];
    if (factories) parts.push(`Available connectors: ${factories.split('\n').map((f) => f.trim()).filter(Boolean).join(', ')}.`);
  }
  return clip(parts.join(' '));
}

/** `line 1, column 10` as Flink's parser and validator write it (the first, when they give a range). */
export function sqlPosition(message: string): { line: number; column: number } | undefined {
  const match = /line (\d+), column (\d+)/.exec(message);
  return match ? { line: Number(match[1]), column: Number(match[2]) } : undefined;
}

function has(causes: readonly JavaCause[], pattern: RegExp): boolean {
  return causes.some((c) => pattern.test(c.className) || pattern.test(c.message));
}

/**
 * A second run of a jar with the same job id: Flink 2.3 refuses it with 400 and
 * `DuplicateApplicationSubmissionException` (1.x: `DuplicateJobSubmissionException`), also after
 * the first job has ended.
 */
export function isDuplicateSubmission(error: unknown): boolean {
  return error instanceof FlinkRequestError && has(error.causes, /Duplicate(Application|Job)SubmissionException/);
}

/** Cancelling a job that already finished, failed or was cancelled: 409 from `PATCH /jobs/:id`. */
export function isAlreadyTerminal(error: unknown): boolean {
  return error instanceof FlinkRequestError && error.status === 409 && has(error.causes, /already reached another terminal state/);
}

interface Verdict {
  readonly type: FlinkErrorTypeName;
  readonly message: string;
  readonly retryable: boolean;
}

function jarMessage(causes: readonly JavaCause[]): string {
  const program = causes.find((c) => /ProgramInvocationException$/.test(c.className));
  if (program && !program.message.startsWith('The main method caused an error')) return firstLine(program.message);
  const missing = causes.find((c) => /^Jar file .* does not exist$|^Only Jar files are allowed/.test(c.message));
  return missing ? firstLine(missing.message) : rootCause(causes);
}

/** Classifies by the body first: the SQL Gateway answers bad SQL, and Flink an unknown TaskManager, with 500. */
function verdictFromBody(causes: readonly JavaCause[]): Verdict | undefined {
  const fail = (type: FlinkErrorTypeName, message: string): Verdict => ({ type, message, retryable: false });
  if (has(causes, /JobExecutionException$|JobInitializationException$/)) return fail(FlinkErrorType.JobFailed, rootCause(causes));
  const sql = sqlErrorMessage(causes);
  if (sql) return fail(FlinkErrorType.InvalidSql, sql);
  if (has(causes, /ProgramInvocationException$|^Jar file .* does not exist$|^Only Jar files are allowed/)) {
    return fail(FlinkErrorType.InvalidJar, jarMessage(causes));
  }
  if (has(causes, /^Session '.*' does not exist/)) return fail(FlinkErrorType.SqlSessionNotFound, rootCause(causes));
  if (has(causes, /Can not find the submitted operation/)) return fail(FlinkErrorType.SqlOperationNotFound, rootCause(causes));
  if (has(causes, /FlinkJobNotFoundException$|^Job [0-9a-f]{32} not found|^Job could not be found/)) {
    return fail(FlinkErrorType.JobNotFound, rootCause(causes));
  }
  if (has(causes, /UnknownTaskExecutorException$/)) return fail(FlinkErrorType.TaskManagerNotFound, rootCause(causes));
  return undefined;
}

function verdictFromStatus(error: FlinkRequestError): Verdict {
  const { status } = error;
  if (status === 408 || status === 409 || status === 429 || status >= 500) {
    return { type: FlinkErrorType.Unavailable, message: error.message, retryable: true };
  }
  const type = status === 404 ? FlinkErrorType.NotFound : FlinkErrorType.BadRequest;
  return { type, message: error.message, retryable: false };
}

const NETWORK_CODES = /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|UND_ERR_\w+)$/;

/** Node's fetch rejects with `TypeError('fetch failed')` whose cause carries the socket error code. */
export function networkFailure(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  if (error.name === 'TimeoutError') return 'timed out';
  if (error.name === 'AbortError') return 'aborted';
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && NETWORK_CODES.test(code)) return `${code} (${error.message})`;
  return error.message === 'fetch failed' && error.cause !== undefined ? networkFailure(error.cause) ?? error.message : undefined;
}

function failure(verdict: Verdict, cause: Error, details: Record<string, unknown>): ApplicationFailure {
  return ApplicationFailure.create({
    message: verdict.message,
    type: verdict.type,
    nonRetryable: !verdict.retryable,
    details: [details],
    cause,
  });
}

/** The type name `classifyFlinkError` would give `error`; undefined for what is not a Flink call's failure. */
export function flinkErrorType(error: unknown): FlinkErrorTypeName | undefined {
  if (error instanceof FlinkRequestError) return (verdictFromBody(error.causes) ?? verdictFromStatus(error)).type;
  if (error instanceof FlinkResponseInvalid) return FlinkErrorType.UnexpectedResponse;
  return error instanceof FlinkUnreachable || networkFailure(error) !== undefined ? FlinkErrorType.Unavailable : undefined;
}

/**
 * What an activity should throw for `error`. Anything that is neither a Flink call's error nor a
 * network failure comes back unchanged (Temporal retries a plain Error under the activity's policy).
 */
export function classifyFlinkError(error: unknown): Error {
  if (error instanceof ApplicationFailure) return error;
  if (error instanceof FlinkRequestError) {
    const verdict = verdictFromBody(error.causes) ?? verdictFromStatus(error);
    const position = verdict.type === FlinkErrorType.InvalidSql ? sqlPosition(verdict.message) : undefined;
    return failure(verdict, error, { method: error.method, url: error.url, status: error.status, ...position });
  }
  if (error instanceof FlinkResponseInvalid) {
    const verdict = { type: FlinkErrorType.UnexpectedResponse, message: error.message, retryable: false };
    return failure(verdict, error, { method: error.method, url: error.url, status: error.status });
  }
  if (error instanceof FlinkUnreachable) {
    return failure({ type: FlinkErrorType.Unavailable, message: error.message, retryable: true }, error, { method: error.method, url: error.url });
  }
  const network = networkFailure(error);
  if (network !== undefined && error instanceof Error) {
    return failure({ type: FlinkErrorType.Unavailable, message: `Flink unreachable: ${network}`, retryable: true }, error, {});
  }
  return error instanceof Error ? error : new Error(String(error));
}
