import {
  Client, Connection, type ClientInterceptors, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, WorkflowUpdateFailedError, type WorkflowExecutionInfo,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  rescaleUpdate, statusQuery, stopSignal, stopUpdate, type PipelineResult, type PipelineStatus, type RescaleResult, type StopRequest,
} from '../workflows/pipeline/api';
import { pipelineKind, pipelineSummary, pipelineWorkflowId, type PipelineSpecInput } from '../workflows/pipeline/spec';
import { FleetJobState, FleetKind, FleetTenant } from '../workflows/search-attributes';
import type { PoolConfigInput, PoolStats } from '../workflows/pool/api';
import { DEFAULT_POOL } from '../workflows/preview/request';
import { tenantName } from '../workflows/tenant-name';
import { putArtifact, type PutArtifactResult } from './artifacts';
import { fleetDataConverter } from './codec/data-converter';
import type { CodecKeyRing } from './codec/keys';
import { FleetError, type FleetErrorType } from './errors';
import { poolStats, resizePool, startPool, stopPool } from './pool';
import { startPreview, type PreviewOptions, type PreviewStream } from './preview';
import { checkPipelineSpec } from './spec-checks';
import { DEFAULT_TASK_QUEUE } from './task-queue';
import type { TemporalConnectionSecurity } from './temporal-connection';
import { WORKFLOW_TASK_TIMEOUT } from './workflow-task-timeout';

export { DEFAULT_TASK_QUEUE };

export interface FleetClientOptions {
  readonly address?: string;
  readonly namespace?: string;
  readonly taskQueue?: string;
  /** Required: workflow inputs hold SQL, connector options and rows, which history must not keep in plain text. */
  readonly codecKeys: CodecKeyRing;
  /** TLS and API key, from parseTemporalConnectionSecurity. */
  readonly security?: TemporalConnectionSecurity;
  /** From tracingClientInterceptors: a StartWorkflow span per start when the process traces. */
  readonly interceptors?: ClientInterceptors;
  /** The worker's storage root (`file://<FLEET_STATE_DIR>/storage` for the local runtime), for putArtifact. */
  readonly storageRoot?: string;
}

export interface PipelineSummary {
  readonly workflowId: string;
  readonly tenant?: string;
  readonly kind?: string;
  readonly state?: string;
  /** Temporal's view: RUNNING, COMPLETED, FAILED, CANCELLED, TERMINATED, ... */
  readonly execution: string;
}

function summarize(execution: WorkflowExecutionInfo): PipelineSummary {
  return {
    workflowId: execution.workflowId,
    tenant: execution.typedSearchAttributes.get(FleetTenant),
    kind: execution.typedSearchAttributes.get(FleetKind),
    state: execution.typedSearchAttributes.get(FleetJobState),
    execution: execution.status.name,
  };
}

/** How the rescale Update's refusals reach a caller; whatever else failed it (the runtime, Flink) is a RescaleFailed. */
const RESCALE_REFUSALS: readonly FleetErrorType[] = ['InvalidSpec', 'NotRunning', 'RescaleInProgress'];

function rescaleError(error: WorkflowUpdateFailedError): FleetError {
  const cause = error.cause instanceof ApplicationFailure ? error.cause : undefined;
  const type = RESCALE_REFUSALS.find((refusal) => refusal === cause?.type) ?? 'RescaleFailed';
  return new FleetError(type, cause?.message ?? error.message);
}

/** Quotes a value for a visibility query; tenants and states are validated words, but be safe. */
function literal(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** The typed way for other services to run pipelines: start, stop, look, list, wait. */
export class FleetClient {
  constructor(readonly temporal: Client, readonly taskQueue: string = DEFAULT_TASK_QUEUE, private readonly storageRoot?: string) {}

  static async connect(options: FleetClientOptions): Promise<FleetClient> {
    const connection = await Connection.connect({ address: options.address ?? '127.0.0.1:7233', ...options.security });
    const dataConverter = fleetDataConverter(options.codecKeys);
    return new FleetClient(new Client({
      connection, namespace: options.namespace ?? 'default', dataConverter, ...(options.interceptors ? { interceptors: options.interceptors } : {}),
    }), options.taskQueue, options.storageRoot);
  }

  /** Puts a jar into the tenant's artifact area and returns its digest, the name a jar connection's `job.jar` gives it. */
  async putArtifact(tenant: string, jarPath: string): Promise<PutArtifactResult> {
    const checked = tenantName.safeParse(tenant);
    if (!checked.success) throw new FleetError('InvalidSpec', `tenant: ${checked.error.issues.map((issue) => issue.message).join('; ')}`);
    if (this.storageRoot === undefined) throw new FleetError('InvalidSpec', 'putArtifact needs the storageRoot the worker uses (FleetClientOptions.storageRoot)');
    return putArtifact(this.storageRoot, tenant, jarPath);
  }

  async close(): Promise<void> {
    await this.temporal.connection.close();
  }

  /** Starts `pipeline/<tenant>/<name>`; a second start while it runs is refused, never a second cluster. */
  async startPipeline(input: PipelineSpecInput): Promise<{ workflowId: string; runId: string }> {
    const spec = checkPipelineSpec(input);
    const workflowId = pipelineWorkflowId(spec.tenant, spec.name);
    try {
      const handle = await this.temporal.workflow.start('runPipeline', {
        taskQueue: this.taskQueue,
        workflowId,
        args: [{ spec: input }],
        workflowTaskTimeout: WORKFLOW_TASK_TIMEOUT,
        workflowIdConflictPolicy: 'FAIL',
        typedSearchAttributes: [
          { key: FleetTenant, value: spec.tenant }, { key: FleetKind, value: pipelineKind(spec) }, { key: FleetJobState, value: 'Validating' },
        ],
        memo: { summary: pipelineSummary(spec) },
      });
      return { workflowId, runId: handle.firstExecutionRunId };
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError) {
        throw new FleetError('AlreadyRunning', `pipeline ${spec.tenant}/${spec.name} is already running (workflow ${workflowId})`);
      }
      throw error;
    }
  }

  /** Signals a stop; with `wait`, waits (through the stop Update) until the pipeline has stopped. */
  async stopPipeline(tenant: string, name: string, request: StopRequest & { wait?: boolean }): Promise<PipelineResult | undefined> {
    const handle = this.temporal.workflow.getHandle(pipelineWorkflowId(tenant, name));
    const stop: StopRequest = { savepoint: request.savepoint, drain: request.drain };
    return this.notFoundAsFleetError(tenant, name, async () => {
      if (request.wait) return handle.executeUpdate(stopUpdate, { args: [stop] });
      await handle.signal(stopSignal, stop);
      return undefined;
    });
  }

  /**
   * Through the `rescale` Update: the same job, on the same cluster, at a new parallelism; resolves
   * once Flink runs it there. A pipeline that is not Running, or a parallelism outside 1..64 or the
   * tenant's plan, is refused and changes nothing.
   */
  async rescalePipeline(tenant: string, name: string, parallelism: number): Promise<RescaleResult> {
    const handle = this.temporal.workflow.getHandle(pipelineWorkflowId(tenant, name));
    try {
      return await handle.executeUpdate(rescaleUpdate, { args: [{ parallelism }] });
    } catch (error) {
      if (error instanceof WorkflowUpdateFailedError) throw rescaleError(error);
      if (!(error instanceof WorkflowNotFoundError)) throw error;
      // A pipeline that has ended still has its workflow: say how it ended rather than that it is unknown.
      const ended = await this.notFoundAsFleetError(tenant, name, () => handle.describe());
      const phase = ended.typedSearchAttributes.get(FleetJobState) ?? ended.status.name;
      throw new FleetError('NotRunning', `pipeline ${tenant}/${name} is ${phase}, not Running: only a running job can be rescaled`);
    }
  }

  async getPipeline(tenant: string, name: string): Promise<PipelineStatus> {
    const handle = this.temporal.workflow.getHandle(pipelineWorkflowId(tenant, name));
    return this.notFoundAsFleetError(tenant, name, () => handle.query(statusQuery));
  }

  async waitForPipeline(tenant: string, name: string): Promise<PipelineResult> {
    const handle = this.temporal.workflow.getHandle<(input: unknown) => Promise<PipelineResult>>(pipelineWorkflowId(tenant, name));
    return this.notFoundAsFleetError(tenant, name, () => handle.result());
  }

  /** Through Temporal's visibility store, by the fleet's search attributes. */
  async listPipelines(filter: { tenant?: string; state?: string } = {}): Promise<PipelineSummary[]> {
    const clauses = ["WorkflowType = 'runPipeline'"];
    if (filter.tenant) clauses.push(`FleetTenant = ${literal(filter.tenant)}`);
    if (filter.state) clauses.push(`FleetJobState = ${literal(filter.state)}`);
    const summaries: PipelineSummary[] = [];
    for await (const execution of this.temporal.workflow.list({ query: clauses.join(' AND ') })) summaries.push(summarize(execution));
    return summaries;
  }

  /** Runs a SQL preview on the pool's session cluster; iterate the stream for rows, then ask its result. */
  preview(tenant: string, sql: string, options: PreviewOptions = {}): Promise<PreviewStream> {
    return startPreview(this.temporal, this.taskQueue, tenant, sql, options);
  }

  startPool(config: PoolConfigInput): Promise<string> {
    return startPool(this.temporal, this.taskQueue, config);
  }

  poolStats(pool: string = DEFAULT_POOL): Promise<PoolStats> {
    return poolStats(this.temporal, pool);
  }

  resizePool(target: number, pool: string = DEFAULT_POOL): Promise<PoolStats> {
    return resizePool(this.temporal, pool, target);
  }

  stopPool(pool: string = DEFAULT_POOL): Promise<void> {
    return stopPool(this.temporal, pool);
  }

  private async notFoundAsFleetError<T>(tenant: string, name: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) throw new FleetError('NotFound', `no pipeline ${tenant}/${name}`);
      throw error;
    }
  }
}
