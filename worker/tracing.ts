import { OpenTelemetryActivityInboundInterceptor, makeWorkflowExporter } from '@temporalio/interceptors-opentelemetry';
import type { WorkerOptions } from '@temporalio/worker';
import type { FleetTracing } from '../client/tracing';

/**
 * The workflow side of Temporal's OpenTelemetry interceptors (RunWorkflow, StartActivity spans),
 * bundled into the workflow code: a pre-built bundle must be made with it in
 * `workflowInterceptorModules` to be traced.
 */
export const TRACING_WORKFLOW_INTERCEPTORS = require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');

/**
 * Where a bundle's tracing interceptors send their spans when the worker does not trace: nowhere, as
 * the API's no-op tracer drops the process's own, rather than the SDK logging an error for an
 * unregistered sink at every workflow task.
 */
export const UNTRACED_WORKFLOW_SINKS: NonNullable<WorkerOptions['sinks']> = { exporter: { export: { fn: () => undefined } } };

export interface WorkerTracingOptions {
  readonly interceptors: Required<Pick<NonNullable<WorkerOptions['interceptors']>, 'activity' | 'workflowModules'>>;
  readonly sinks: NonNullable<WorkerOptions['sinks']>;
}

/**
 * What the worker adds when it traces: a RunActivity span around each activity (the parent of its
 * REST and Kubernetes spans), and the sink through which the sandboxed workflows' spans, which
 * cannot reach an exporter themselves, join the process's span processor.
 */
export function workerTracingOptions(tracing: FleetTracing): WorkerTracingOptions | undefined {
  if (!tracing.enabled) return undefined;
  return {
    interceptors: {
      workflowModules: [TRACING_WORKFLOW_INTERCEPTORS],
      activity: [(ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx) })],
    },
    sinks: { exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) },
  };
}
