/**
 * bench only — a load generator, not Flink. kwok runs no JobManager, so `npm run bench:scale` answers
 * each application cluster's REST API itself, for the few endpoints the pipeline activities call, with
 * job state changes it scripts: a job is listed as soon as it is asked about, RUNNING (every vertex)
 * `runningAfterMs` later, CANCELED once cancelled, FINISHED with a savepoint once stopped. It counts
 * every request, so the bench can report the REST polls the fleet makes. Pure state; no I/O but the
 * job id lookup it is given.
 */
export interface GeneratedResponse {
  readonly status: number;
  readonly body: unknown;
}

interface ScriptedJob {
  readonly jobId: string;
  readonly firstAskedMs: number;
  ended?: { state: 'CANCELED' | 'FINISHED'; atMs: number; savepoint?: string };
}

/** The job id the fleet chose for a cluster's Service (read from its JobManager Deployment), once it exists. */
export type JobIdLookup = (namespace: string, service: string) => Promise<string | undefined>;

const JOB = /^\/jobs\/([0-9a-f]{32})(\/.*)?$/;

export class FlinkRestLoadGenerator {
  /** Requests answered, by endpoint pattern (`GET /jobs/:id`), so an unexpected one shows in the report. */
  readonly requests = new Map<string, number>();
  private readonly jobs = new Map<string, ScriptedJob | Promise<ScriptedJob | undefined>>();

  constructor(private readonly jobIdOf: JobIdLookup, private readonly runningAfterMs: number, private readonly now: () => number = Date.now) {}

  get total(): number {
    return [...this.requests.values()].reduce((sum, count) => sum + count, 0);
  }

  /** The answer to `method path` (path with its query) sent to the REST port of `service` in `namespace`. */
  async answer(namespace: string, service: string, method: string, path: string): Promise<GeneratedResponse> {
    const [route = '', query = ''] = path.split('?');
    const endpoint = `${method} ${route.replace(JOB, (_all, _id: string, rest: string | undefined) => `/jobs/:id${(rest ?? '').replace(/\/[0-9a-f]{32}$/, '/:trigger')}`)}`;
    this.requests.set(endpoint, (this.requests.get(endpoint) ?? 0) + 1);
    const job = await this.job(namespace, service);
    if (!job) return { status: 503, body: { errors: ['no JobManager Deployment (yet)'] } };
    if (method === 'GET' && route === '/jobs/overview') return { status: 200, body: { jobs: [this.summary(job)] } };
    const match = JOB.exec(route);
    if (!match || match[1] !== job.jobId) return { status: 404, body: { errors: [`not found: ${route}`] } };
    const rest = match[2] ?? '';
    if (method === 'GET' && rest === '') return { status: 200, body: this.details(job) };
    if (method === 'GET' && rest === '/exceptions') return { status: 200, body: { exceptionHistory: { entries: [], truncated: false } } };
    if (method === 'PATCH' && rest === '' && /(^|&)mode=cancel(&|$)/.test(query)) {
      job.ended ??= { state: 'CANCELED', atMs: this.now() };
      return { status: 202, body: {} };
    }
    if (method === 'POST' && rest === '/stop') {
      job.ended ??= { state: 'FINISHED', atMs: this.now(), savepoint: `s3://bench/savepoints/${job.jobId}` };
      return { status: 202, body: { 'request-id': job.jobId } };
    }
    if (method === 'GET' && rest.startsWith('/savepoints/')) {
      return { status: 200, body: { status: { id: 'COMPLETED' }, operation: { location: job.ended?.savepoint ?? `s3://bench/savepoints/${job.jobId}` } } };
    }
    return { status: 404, body: { errors: [`the load generator does not serve ${method} ${route}`] } };
  }

  /** The job behind a Service, looked up once: concurrent first requests share one lookup. */
  private async job(namespace: string, service: string): Promise<ScriptedJob | undefined> {
    const key = `${namespace}/${service}`;
    const known = this.jobs.get(key);
    if (known) return known;
    const lookup = this.jobIdOf(namespace, service).then((jobId) => {
      const job = jobId === undefined ? undefined : { jobId, firstAskedMs: this.now() };
      if (job) this.jobs.set(key, job);
      else this.jobs.delete(key);
      return job;
    });
    this.jobs.set(key, lookup);
    return lookup;
  }

  private state(job: ScriptedJob): string {
    if (job.ended) return job.ended.state;
    return this.now() - job.firstAskedMs >= this.runningAfterMs ? 'RUNNING' : 'INITIALIZING';
  }

  private summary(job: ScriptedJob): unknown {
    return { jid: job.jobId, name: 'bench', state: this.state(job), 'start-time': job.firstAskedMs, 'end-time': job.ended?.atMs ?? -1, 'last-modification': job.firstAskedMs };
  }

  private details(job: ScriptedJob): unknown {
    const state = this.state(job);
    return {
      jid: job.jobId, name: 'bench', state, 'start-time': job.firstAskedMs, 'end-time': job.ended?.atMs ?? -1, duration: this.now() - job.firstAskedMs,
      vertices: [{ id: 'a'.repeat(32), name: 'datagen -> blackhole', parallelism: 1, maxParallelism: 128, status: state === 'INITIALIZING' ? 'DEPLOYING' : state }],
    };
  }
}
