import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Attributes } from '@opentelemetry/api';
import { z } from 'zod';
import { inClientSpan } from '../tracing';
import { FlinkRequestError, FlinkResponseInvalid, FlinkUnreachable, isAlreadyTerminal, isDuplicateSubmission, networkFailure, parseErrorBody, type JavaCause } from './errors';
import {
  aggregatedMetrics, clusterOverview, jarRunJobId, jobCheckpoints, jobDetails, jobExceptions, jobList, jobResourceRequirements, matchTaskManagers, resourceRequirementsBody,
  savepointStatus, taskManagerDetails, taskManagerList, triggerId, uploadedJarId, vertexLocations, type AggregatedMetric, type ClusterOverview, type JobCheckpoints, type JobDetails,
  type JobExceptions, type JobResourceRequirements, type JobSummary, type SavepointStatus, type TaskManagerDetails, type TaskManagerSummary,
} from './rest-types';

/** How a request reaches Flink: the global fetch, or one that carries credentials of a proxy on the way. */
export type FlinkTransport = (url: string, init: RequestInit) => Promise<Response>;

export interface FlinkHttpOptions {
  /** Per request. Running a jar executes its `main` inside the JobManager, which can take a while. */
  readonly timeoutMs?: number;
  /** Defaults to the global fetch. */
  readonly transport?: FlinkTransport;
}

interface RequestOptions {
  readonly body?: unknown;
  readonly signal?: AbortSignal;
  /** How a successful body is read; JSON.parse unless the answer holds values a double cannot. */
  readonly parse?: (text: string) => unknown;
}

const DEFAULT_TIMEOUT_MS = 60_000;

const errorBody = z.object({ errors: z.array(z.string()) });

function parseJson(text: string, parse: (text: string) => unknown = JSON.parse): unknown {
  try {
    return text === '' ? {} : parse(text);
  } catch {
    return undefined;
  }
}

function errorCauses(text: string): JavaCause[] {
  const body = errorBody.safeParse(parseJson(text));
  if (body.success) return parseErrorBody(body.data.errors);
  // Not Flink's error shape (a proxy's HTML page, an empty body): the text is the best message there is.
  return [{ className: '', message: text.trim().slice(0, 500) || 'empty body' }];
}

function describeIssues(error: z.ZodError): string {
  return error.issues.slice(0, 3).map((issue) => `${['$', ...issue.path.map(String)].join('.')}: ${issue.message}`).join('; ');
}

function answerOf<T>(method: string, url: string, status: number, text: string, schema: z.ZodType<T>, parse?: (text: string) => unknown): T {
  if (status < 200 || status >= 300) throw new FlinkRequestError(method, url, status, errorCauses(text));
  const json = parseJson(text, parse);
  if (json === undefined) throw new FlinkResponseInvalid(method, url, status, `not JSON: ${text.slice(0, 200)}`);
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new FlinkResponseInvalid(method, url, status, describeIssues(parsed.error));
  return parsed.data;
}

/** OpenTelemetry's HTTP client attributes; the JobManager's paths carry job ids, so they stay out of the span's name. */
function flinkSpanAttributes(method: string, url: string): Attributes {
  const parsed = URL.parse(url);
  // A URL that does not parse fails in send, as FlinkUnreachable; the span records that failure.
  if (!parsed) return { 'http.request.method': method, 'url.full': url };
  return {
    'http.request.method': method, 'url.full': url, 'url.path': parsed.pathname,
    'server.address': parsed.hostname, 'server.port': Number(parsed.port) || (parsed.protocol === 'https:' ? 443 : 80),
  };
}

/**
 * JSON over Flink's REST conventions (the JobManager's and the SQL Gateway's are the same), with
 * the global fetch. Every failure becomes a FlinkRequestError, FlinkUnreachable or
 * FlinkResponseInvalid carrying method and URL; `classifyFlinkError` turns those into Temporal failures.
 */
export class FlinkHttp {
  readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly transport: FlinkTransport;

  constructor(baseUrl: string, options: FlinkHttpOptions = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.transport = options.transport ?? fetch;
  }

  request<T>(method: string, path: string, schema: z.ZodType<T>, options: RequestOptions = {}): Promise<T> {
    const url = `${this.baseUrl}${path}`;
    return inClientSpan(`Flink ${method}`, flinkSpanAttributes(method, url), async (span) => {
      const { status, text } = await this.send(method, url, options);
      span.setAttribute('http.response.status_code', status);
      return answerOf(method, url, status, text, schema, options.parse);
    });
  }

  private async send(method: string, url: string, options: RequestOptions): Promise<{ status: number; text: string }> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const { body } = options;
    const init: RequestInit = body instanceof FormData
      ? { method, body, signal }
      : { method, signal, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }) };
    try {
      // Reading the body belongs in the try: a connection reset or the timeout can strike mid-body.
      const response = await this.transport(url, init);
      return { status: response.status, text: await response.text() };
    } catch (error) {
      throw new FlinkUnreachable(method, url, networkFailure(error) ?? (error instanceof Error ? error.message : String(error)));
    }
  }
}

export interface RunJarOptions {
  /** 32 hex characters, chosen by the caller so that a retried run finds the job the first run started. */
  readonly jobId: string;
  readonly entryClass?: string;
  readonly programArgs?: readonly string[];
  readonly parallelism?: number;
  readonly savepointPath?: string;
  readonly allowNonRestoredState?: boolean;
}

export interface StopWithSavepointOptions {
  readonly targetDirectory?: string;
  /** Emit MAX_WATERMARK first, firing all event-time timers: for a job that will not resume. */
  readonly drain: boolean;
  /** 32 hex characters; Flink starts one savepoint per trigger id, so a retried request is harmless. */
  readonly triggerId?: string;
}

export interface TriggerSavepointOptions {
  readonly targetDirectory?: string;
  readonly cancelJob?: boolean;
  readonly triggerId?: string;
}

/** For answers whose body carries nothing we need (`{}` on 202 Accepted). */
const accepted: z.ZodType<unknown> = z.unknown();

function jobPath(jobId: string): string {
  return `/jobs/${encodeURIComponent(jobId)}`;
}

/** Typed calls to a Flink JobManager's REST API. */
export class FlinkRestClient {
  private readonly http: FlinkHttp;

  constructor(baseUrl: string, options: FlinkHttpOptions = {}) {
    this.http = new FlinkHttp(baseUrl, options);
  }

  overview(): Promise<ClusterOverview> {
    return this.http.request('GET', '/overview', clusterOverview);
  }

  taskManagers(): Promise<TaskManagerSummary[]> {
    return this.http.request('GET', '/taskmanagers', taskManagerList);
  }

  /** An unknown id fails with TaskManagerNotFound (Flink answers 500 for it). */
  taskManager(id: string): Promise<TaskManagerDetails> {
    return this.http.request('GET', `/taskmanagers/${encodeURIComponent(id)}`, taskManagerDetails);
  }

  /** Returns the jar id to run it by. Flink accepts only file names ending in `.jar`. */
  async uploadJar(localPath: string): Promise<string> {
    const form = new FormData();
    form.append('jarfile', new Blob([await readFile(localPath)], { type: 'application/java-archive' }), basename(localPath));
    return this.http.request('POST', '/jars/upload', uploadedJarId, { body: form });
  }

  /**
   * Starts the jar's job under `options.jobId` and returns that id. Flink refuses a second submission
   * of a job id it knows (running or ended) as a duplicate; that is the first run's job, so it counts
   * as success, which makes a retried run start one job, not two.
   */
  async runJar(jarId: string, options: RunJarOptions): Promise<string> {
    const body = {
      jobId: options.jobId,
      entryClass: options.entryClass,
      programArgsList: options.programArgs,
      parallelism: options.parallelism,
      savepointPath: options.savepointPath,
      allowNonRestoredState: options.allowNonRestoredState,
    };
    try {
      return await this.http.request('POST', `/jars/${encodeURIComponent(jarId)}/run`, jarRunJobId, { body });
    } catch (error) {
      if (isDuplicateSubmission(error)) return options.jobId;
      throw error;
    }
  }

  jobs(): Promise<JobSummary[]> {
    return this.http.request('GET', '/jobs/overview', jobList);
  }

  job(jobId: string): Promise<JobDetails> {
    return this.http.request('GET', jobPath(jobId), jobDetails);
  }

  jobExceptions(jobId: string): Promise<JobExceptions> {
    return this.http.request('GET', `${jobPath(jobId)}/exceptions`, jobExceptions);
  }

  /** The TaskManagers (resource ids) that the job's subtasks run or ran on; empty before scheduling. */
  async jobTaskManagers(jobId: string): Promise<string[]> {
    const [job, known] = await Promise.all([this.job(jobId), this.taskManagers()]);
    const locations = await Promise.all(job.vertices.map((v) => this.http.request('GET', `${jobPath(jobId)}/vertices/${v.id}/taskmanagers`, vertexLocations)));
    return matchTaskManagers(locations.flat(), known);
  }

  /** Returns the trigger id to poll `savepointStatus` with; the job ends once the savepoint completes. */
  stopWithSavepoint(jobId: string, options: StopWithSavepointOptions): Promise<string> {
    const body = { targetDirectory: options.targetDirectory, drain: options.drain, triggerId: options.triggerId };
    return this.http.request('POST', `${jobPath(jobId)}/stop`, triggerId, { body });
  }

  triggerSavepoint(jobId: string, options: TriggerSavepointOptions = {}): Promise<string> {
    const body = { 'target-directory': options.targetDirectory, 'cancel-job': options.cancelJob ?? false, triggerId: options.triggerId };
    return this.http.request('POST', `${jobPath(jobId)}/savepoints`, triggerId, { body });
  }

  /** Also for stop-with-savepoint triggers: both are savepoint operations of the job. */
  savepointStatus(jobId: string, trigger: string): Promise<SavepointStatus> {
    return this.http.request('GET', `${jobPath(jobId)}/savepoints/${encodeURIComponent(trigger)}`, savepointStatus);
  }

  /**
   * Idempotent: a job that has already ended (finished, failed, cancelled) is left as it is; ask
   * `job()` for how it ended. An unknown job fails with JobNotFound.
   */
  async cancelJob(jobId: string): Promise<void> {
    try {
      await this.http.request('PATCH', `${jobPath(jobId)}?mode=cancel`, accepted);
    } catch (error) {
      if (!isAlreadyTerminal(error)) throw error;
    }
  }

  /** Metrics of one vertex over its subtasks, by name: `busyTimeMsPerSecond`, `backPressuredTimeMsPerSecond`... */
  vertexMetrics(jobId: string, vertexId: string, names: readonly string[]): Promise<Readonly<Record<string, AggregatedMetric>>> {
    const query = `get=${names.map(encodeURIComponent).join(',')}&agg=avg,max`;
    return this.http.request('GET', `${jobPath(jobId)}/vertices/${encodeURIComponent(vertexId)}/subtasks/metrics?${query}`, aggregatedMetrics);
  }

  /** What the adaptive scheduler may run each vertex at; only jobs under that scheduler have any. */
  resourceRequirements(jobId: string): Promise<JobResourceRequirements> {
    return this.http.request('GET', `${jobPath(jobId)}/resource-requirements`, jobResourceRequirements);
  }

  /**
   * Declares new bounds; the adaptive scheduler rescales the running job within them, from its
   * latest checkpoint, once the slots are there. The same declaration twice is harmless.
   */
  async setResourceRequirements(jobId: string, requirements: JobResourceRequirements): Promise<void> {
    await this.http.request('PUT', `${jobPath(jobId)}/resource-requirements`, accepted, { body: resourceRequirementsBody(requirements) });
  }

  checkpoints(jobId: string): Promise<JobCheckpoints> {
    return this.http.request('GET', `${jobPath(jobId)}/checkpoints`, jobCheckpoints);
  }
}
