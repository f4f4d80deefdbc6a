import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { trace } from '@opentelemetry/api';
import { inClientSpan } from '../../activities/tracing';
import { InvalidTracingConfig, otlpTracesUrl, tracingClientInterceptors, tracingFromEnvironment } from '../../client/tracing';
import { workerTracingOptions } from '../../worker/tracing';

describe('tracing configuration', () => {
  it('sends to the traces endpoint as given, or to the base endpoint plus /v1/traces, and to none when neither is set', () => {
    assert.equal(otlpTracesUrl({}), undefined);
    assert.equal(otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: '' }), undefined);
    assert.equal(otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }), 'http://collector:4318/v1/traces');
    assert.equal(otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otel.example/base/' }), 'https://otel.example/base/v1/traces');
    assert.equal(otlpTracesUrl({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces:4318/custom',
    }), 'http://traces:4318/custom');
  });

  it('sends nothing when the SDK is disabled, whatever endpoint is set', () => {
    assert.equal(otlpTracesUrl({ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }), undefined);
  });

  it('refuses an endpoint that is not an http(s) URL, naming the variable', () => {
    assert.throws(() => otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4317' }),
      (error: unknown) => error instanceof InvalidTracingConfig && /^OTEL_EXPORTER_OTLP_ENDPOINT: must be an http/.test(error.message));
    assert.throws(() => otlpTracesUrl({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'not a url' }),
      (error: unknown) => error instanceof InvalidTracingConfig && /^OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: /.test(error.message));
  });

  it('without OTEL variables registers no provider: the spans of the fleet\'s own calls, and any other, are no-ops', async () => {
    const tracing = tracingFromEnvironment({ PATH: process.env.PATH }, 'flink-fleet-test');
    try {
      assert.equal(tracing.enabled, false);
      assert.deepEqual(tracingClientInterceptors(tracing), {});
      assert.equal(workerTracingOptions(tracing), undefined);
      const recording = await inClientSpan('Flink GET', { 'url.path': '/overview' }, (span) => Promise.resolve(span.isRecording()));
      assert.equal(recording, false);
      assert.equal(trace.getTracer('any').startSpan('any').isRecording(), false);
    } finally {
      await tracing.shutdown();
    }
  });

  it('with an OTLP endpoint, posts each span, its resource and attributes, to <endpoint>/v1/traces when flushed', async () => {
    const received: { method?: string; url?: string; headers: IncomingHttpHeaders; body: string }[] = [];
    const collector = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = collector.address() as AddressInfo;
      const tracing = tracingFromEnvironment({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` }, 'flink-fleet-test');
      assert.equal(tracing.enabled, true);
      await inClientSpan('Flink GET', { 'http.request.method': 'GET', 'url.path': '/jobs/overview' }, () => Promise.resolve());
      await tracing.shutdown();
      assert.equal(received.length, 1, 'one export on shutdown');
      const [request] = received;
      assert.equal(request?.method, 'POST');
      assert.equal(request?.url, '/v1/traces');
      const body = JSON.parse(request?.body ?? '') as { resourceSpans: { resource: { attributes: { key: string; value: { stringValue?: string } }[] }; scopeSpans: { spans: { name: string; attributes: { key: string; value: { stringValue?: string } }[] }[] }[] }[] };
      const [resourceSpans] = body.resourceSpans;
      assert.equal(resourceSpans?.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue, 'flink-fleet-test');
      const [span] = resourceSpans?.scopeSpans.flatMap((scope) => scope.spans) ?? [];
      assert.equal(span?.name, 'Flink GET');
      assert.equal(span?.attributes.find((a) => a.key === 'url.path')?.value.stringValue, '/jobs/overview');
      assert.equal(trace.getTracer('any').startSpan('after shutdown').isRecording(), false, 'shutdown unregisters the provider');
    } finally {
      collector.close();
    }
  });
});
