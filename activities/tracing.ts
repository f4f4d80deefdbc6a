import { SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';

/**
 * Spans of the fleet's own outbound calls (Flink REST, Kubernetes API), children of whatever span is
 * active: the activity's, when the worker traces. Only the OpenTelemetry API is used here; without a
 * registered provider (no OTLP endpoint configured) every span is the API's no-op one.
 */
export async function inClientSpan<T>(name: string, attributes: Attributes, call: (span: Span) => Promise<T>): Promise<T> {
  // Asked per call: the global provider may be registered, or replaced, after this module is loaded.
  return trace.getTracer('flink-fleet').startActiveSpan(name, { kind: SpanKind.CLIENT, attributes }, async (span) => {
    try {
      return await call(span);
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      span.recordException(failure);
      span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message });
      throw error;
    } finally {
      span.end();
    }
  });
}
