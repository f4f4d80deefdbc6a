import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource, envDetectorSync } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ClientInterceptors } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';

/**
 * The process's OpenTelemetry traces: on only when an OTLP endpoint is configured (the standard
 * variables, read by every OpenTelemetry SDK), so that a fleet without a collector pays for nothing
 * but the API's no-op tracer.
 */
export type FleetTracing = {
  readonly enabled: false;
  shutdown(): Promise<void>;
} | {
  readonly enabled: true;
  /** Where the workflow sandbox's spans go too (through the worker's sink): the provider's own processor. */
  readonly spanProcessor: SpanProcessor;
  readonly resource: Resource;
  /** Sends what is buffered and unregisters the provider. */
  shutdown(): Promise<void>;
};

export class InvalidTracingConfig extends Error {
  override readonly name = 'InvalidTracingConfig';
}

const DISABLED: FleetTracing = { enabled: false, shutdown: () => Promise.resolve() };

function httpUrl(variable: string, value: string): URL {
  const url = URL.parse(value);
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) throw new InvalidTracingConfig(`${variable}: must be an http:// or https:// URL, not ${JSON.stringify(value)}`);
  return url;
}

/**
 * Where spans are sent, as the OTLP exporter specification says: the traces endpoint as given, or
 * the base endpoint with `/v1/traces` appended; undefined when neither is set or the SDK is disabled.
 */
export function otlpTracesUrl(env: Record<string, string | undefined>): string | undefined {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return undefined;
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  if (traces) return httpUrl('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', traces).href;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (!base) return undefined;
  const url = httpUrl('OTEL_EXPORTER_OTLP_ENDPOINT', base);
  return `${url.href.replace(/\/+$/, '')}/v1/traces`;
}

/**
 * Registers a global tracer provider (with the async context that carries an activity's span into
 * its REST and Kubernetes calls, and W3C trace context, which Temporal's interceptors put into
 * headers) that hands every span to `spanProcessor`. One per process: tests pass an in-memory one.
 */
export function startTracing(spanProcessor: SpanProcessor, serviceName: string): FleetTracing {
  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, when set, win over the fleet's own name.
  const resource = Resource.default().merge(new Resource({ 'service.name': serviceName })).merge(envDetectorSync.detect());
  const provider = new BasicTracerProvider({ resource, spanProcessors: [spanProcessor] });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  provider.register({ contextManager });
  return {
    enabled: true, spanProcessor, resource,
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}

/** Traces exported by OTLP over HTTP when the environment names an endpoint; otherwise none at all. */
export function tracingFromEnvironment(env: Record<string, string | undefined>, serviceName: string): FleetTracing {
  const url = otlpTracesUrl(env);
  if (url === undefined) return DISABLED;
  // Headers (OTEL_EXPORTER_OTLP_HEADERS) and timeouts the exporter reads from the environment itself.
  return startTracing(new BatchSpanProcessor(new OTLPTraceExporter({ url })), serviceName);
}

/** A StartWorkflow span around each start, its context passed to the workflow in Temporal's headers. */
export function tracingClientInterceptors(tracing: FleetTracing): ClientInterceptors {
  return tracing.enabled ? { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } : {};
}
