import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { msToTs } from '@temporalio/common/lib/time';
import { DefaultLogger, bundleWorkflowCode } from '@temporalio/worker';
import { freePort } from '../../activities/runtime/local/ports';
import { SQL_INSPECTOR_MAIN } from '../../activities/sql-inspector/classpath';
import { waitUntil } from '../../activities/runtime/local/wait';
import { newCodecKey } from '../../client/codec/keys';
import { fleetDataConverter } from '../../client/codec/data-converter';
import { InvalidWorkerConfig, parseWorkerConfig, workerSizing, workflowBundle } from '../../worker/config';
import { TRACING_WORKFLOW_INTERCEPTORS } from '../../worker/tracing';
import { PRELOADED_WORKFLOW_MODULES, prebuiltWorkflowBundleOptions } from '../../worker/workflow-bundle';
import { ReusableContextModel } from '../../bench/reusable-context';
import { checkSearchAttributes, MissingSearchAttributes } from '../../worker/search-attributes-check';
import { temporalTestBed } from '../harness/global';
import { parsePrometheusText, samplesOf } from '../harness/prometheus';
import { childrenOf } from '../harness/proc';
import { newStateDir } from '../harness/state';
import { startWorkerProcess } from '../harness/worker-process';

describe('the worker configuration', () => {
  it('fills in defaults for a local worker given its payload key', () => {
    const config = parseWorkerConfig({ FLEET_CODEC_KEYS: newCodecKey('k1') });
    assert.equal(config.TEMPORAL_ADDRESS, '127.0.0.1:7233');
    assert.equal(config.FLEET_TASK_QUEUE, 'flink-fleet');
    assert.equal(config.FLEET_RUNTIME, 'local');
    assert.equal(config.codecKeys.current.id, 'k1');
    assert.deepEqual(config.connection, {});
  });

  it('refuses to start without a payload key, saying how to give one', () => {
    assert.throws(() => parseWorkerConfig({}), (error: unknown) => {
      assert.ok(error instanceof InvalidWorkerConfig);
      assert.match(error.message, /no payload encryption key: set FLEET_CODEC_KEY_FILE .* or FLEET_CODEC_KEYS/);
      return true;
    });
  });

  it('names every variable that is wrong and the rule it broke', () => {
    assert.throws(() => parseWorkerConfig({ FLEET_RUNTIME: 'mesos', TEMPORAL_ADDRESS: 'nohost', FLEET_METRICS_PORT: '99999', FLEET_METRICS_HOST: 'all',
      FLEET_TENANT_PLAN: JSON.stringify({ runtimeClassName: 'gVisor', podBandwidth: { ingressMbit: 0, egressMbit: 10 }, quota: 1 }) }), (error: unknown) => {
      assert.ok(error instanceof InvalidWorkerConfig);
      assert.match(error.message, /FLEET_RUNTIME: must be/);
      assert.match(error.message, /TEMPORAL_ADDRESS: must be host:port/);
      assert.match(error.message, /FLEET_METRICS_PORT: must be a port number/);
      assert.match(error.message, /FLEET_METRICS_HOST: must be an IPv4 address/);
      assert.match(error.message, /FLEET_TENANT_PLAN\.runtimeClassName: must be a RuntimeClass name/);
      assert.match(error.message, /FLEET_TENANT_PLAN\.podBandwidth\.ingressMbit: /);
      assert.match(error.message, /FLEET_TENANT_PLAN: .*quota/);
      assert.match(error.message, /no payload encryption key/);
      return true;
    });
  });
});

describe('the pre-built workflow bundle', () => {
  const key = { FLEET_CODEC_KEYS: newCodecKey('k1') };

  it('is loaded from FLEET_WORKFLOW_BUNDLE\'s file, and without it the worker bundles at start', () => {
    const file = join(newStateDir('bundle'), 'workflow-bundle.js');
    writeFileSync(file, '// a bundle\n');
    assert.deepEqual(workflowBundle(parseWorkerConfig({ ...key, FLEET_WORKFLOW_BUNDLE: file })), { codePath: file });
    assert.equal(workflowBundle(parseWorkerConfig(key)), undefined);
  });

  it('is refused by name when FLEET_WORKFLOW_BUNDLE names no file', () => {
    assert.throws(() => parseWorkerConfig({ ...key, FLEET_WORKFLOW_BUNDLE: '/nowhere/workflow-bundle.js' }),
      /FLEET_WORKFLOW_BUNDLE: must name an existing file: the workflow bundle made by scripts\/bundle-workflows\.ts/);
    assert.throws(() => parseWorkerConfig({ ...key, FLEET_WORKFLOW_BUNDLE: '' }), /FLEET_WORKFLOW_BUNDLE: /);
  });

  it('holds what the worker bundles at start: its workflows, its data converter\'s converters, and tracing\'s workflow interceptors', () => {
    const converter = fleetDataConverter(parseWorkerConfig(key).codecKeys);
    const options = prebuiltWorkflowBundleOptions();
    assert.equal(options.workflowsPath, require.resolve('../../workflows'));
    assert.ok(converter.failureConverterPath);
    assert.equal(options.failureConverterPath, converter.failureConverterPath);
    assert.equal(options.payloadConverterPath, converter.payloadConverterPath);
    assert.deepEqual(options.workflowInterceptorModules, [TRACING_WORKFLOW_INTERCEPTORS]);
    assert.deepEqual(options.preloadModules, PRELOADED_WORKFLOW_MODULES);
  });

  it('evaluates zod once per workflow thread, not once per workflow, and a workflow builds its schemas on the frozen shared zod', async () => {
    const { code } = await bundleWorkflowCode({ ...prebuiltWorkflowBundleOptions(), logger: new DefaultLogger('WARN') });
    const model = new ReusableContextModel(code);
    const isZod = (id: PropertyKey): boolean => String(id).includes('node_modules/zod/');
    assert.ok([...model.shared.keys()].some(isZod), 'zod is among the modules every workflow shares');
    const own = [...model.newWorkflow().keys()];
    assert.ok(own.some((id) => String(id).startsWith('./workflows/pipeline/')), `a workflow still evaluates its own modules: ${own.slice(0, 5).join(', ')}`);
    assert.deepEqual(own.filter(isZod), [], 'zod modules a workflow evaluated itself');
  });
});

describe('the worker sizing knobs', () => {
  const key = { FLEET_CODEC_KEYS: newCodecKey('k1') };

  it("default to the SDK's slots and sticky timeout, and to a workflow cache of 100, not the SDK's heap-based size", () => {
    assert.deepEqual(workerSizing(parseWorkerConfig(key)), {
      maxConcurrentActivityTaskExecutions: 100, maxConcurrentWorkflowTaskExecutions: 40, maxCachedWorkflows: 100, stickyQueueScheduleToStartTimeout: '10 seconds',
    });
  });

  it('hand every variable given to the SDK', () => {
    const config = parseWorkerConfig({
      ...key, FLEET_MAX_CONCURRENT_ACTIVITIES: '1200', FLEET_MAX_CONCURRENT_WORKFLOW_TASKS: '20', FLEET_MAX_CACHED_WORKFLOWS: '500', FLEET_STICKY_QUEUE_TIMEOUT_SECONDS: '30',
    });
    assert.deepEqual(workerSizing(config), {
      maxConcurrentActivityTaskExecutions: 1200, maxConcurrentWorkflowTaskExecutions: 20, maxCachedWorkflows: 500, stickyQueueScheduleToStartTimeout: '30 seconds',
    });
  });

  it('refuse a bad value by name, and more workflow tasks at once than cached workflows', () => {
    assert.throws(() => parseWorkerConfig({
      ...key, FLEET_MAX_CONCURRENT_ACTIVITIES: '0', FLEET_MAX_CACHED_WORKFLOWS: 'lots', FLEET_STICKY_QUEUE_TIMEOUT_SECONDS: '2.5',
      FLEET_JANITOR_GRACE_SECONDS: '1000000',
    }), (error: unknown) => {
      assert.ok(error instanceof InvalidWorkerConfig);
      assert.match(error.message, /FLEET_MAX_CONCURRENT_ACTIVITIES: must be at least 1/);
      assert.match(error.message, /FLEET_MAX_CACHED_WORKFLOWS: /);
      assert.match(error.message, /FLEET_STICKY_QUEUE_TIMEOUT_SECONDS: must be a whole number/);
      assert.match(error.message, /FLEET_JANITOR_GRACE_SECONDS: must be at most 604800/);
      return true;
    });
    assert.throws(() => parseWorkerConfig({ ...key, FLEET_MAX_CONCURRENT_WORKFLOW_TASKS: '50', FLEET_MAX_CACHED_WORKFLOWS: '10' }),
      /FLEET_MAX_CONCURRENT_WORKFLOW_TASKS: must not exceed FLEET_MAX_CACHED_WORKFLOWS \(10\)/);
  });
});

describe('the worker process', () => {
  it('refuses to start with a bad variable, in one line that names it', async () => {
    const stateDir = newStateDir('worker');
    const logFile = join(stateDir, 'worker.log');
    const worker = startWorkerProcess({ taskQueue: 'bad-config', stateDir, logFile, env: { FLEET_RUNTIME: 'mesos' } });
    assert.equal(await worker.exited, 1);
    const lines = readFileSync(logFile, 'utf8').trim().split('\n');
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0] ?? '', /^flink-fleet worker: invalid worker configuration: FLEET_RUNTIME: must be 'local'/);
  });

  it('serves Prometheus metrics on the address it is given and shuts down gracefully on SIGTERM', async () => {
    const stateDir = newStateDir('worker');
    const port = await freePort();
    const logFile = join(stateDir, 'worker.log');
    // 127.0.0.2 and not the default: only a worker that binds where FLEET_METRICS_HOST says answers there.
    const env = { FLEET_METRICS_PORT: String(port), FLEET_METRICS_HOST: '127.0.0.2', LOG_LEVEL: 'info', FLEET_MAX_CONCURRENT_ACTIVITIES: '7' };
    const worker = startWorkerProcess({ taskQueue: 'metrics', stateDir, logFile, env });
    const metrics = await waitUntil('worker metrics', async () => {
      const response = await fetch(`http://127.0.0.2:${port}/metrics`);
      const text = await response.text();
      return text.includes('temporal_') ? text : undefined;
    }, { timeoutMs: 60_000, intervalMs: 500 });
    assert.match(metrics, /temporal_worker_start|temporal_num_pollers|temporal_request/);
    const activitySlots = await waitUntil('the activity slots in the metrics', async () => {
      const text = await (await fetch(`http://127.0.0.2:${port}/metrics`)).text();
      return samplesOf(parsePrometheusText(text), 'temporal_worker_task_slots_available', { worker_type: 'ActivityWorker' })[0];
    }, { timeoutMs: 60_000, intervalMs: 500 });
    assert.equal(activitySlots.value, 7, 'FLEET_MAX_CONCURRENT_ACTIVITIES reached the SDK');
    worker.kill('SIGTERM');
    assert.equal(await worker.exited, 0);
    const log = readFileSync(logFile, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { msg: string; service?: string });
    assert.ok(log.some((entry) => entry.msg === 'worker started' && entry.service === 'flink-fleet-worker'), 'pino JSON start line');
    assert.equal(log.at(-1)?.msg, 'worker stopped');
  });

  it('starts its SQL inspector at start, before any statement, so the first preview does not wait for the JVM', async () => {
    const stateDir = newStateDir('worker');
    const logFile = join(stateDir, 'worker.log');
    const worker = startWorkerProcess({ taskQueue: 'inspector-ahead', stateDir, logFile, env: { LOG_LEVEL: 'info' } });
    try {
      await waitUntil('the worker to say its SQL inspector is ready', async () => (readFileSync(logFile, 'utf8').includes('"msg":"the SQL inspector is ready"') ? true : undefined),
        { timeoutMs: 120_000, intervalMs: 250 });
      const inspectors = childrenOf(worker.pid).filter((pid) => commandLine(pid).includes(SQL_INSPECTOR_MAIN));
      assert.equal(inspectors.length, 1, 'one inspector JVM, a child of the worker, with no statement sent');
    } finally {
      worker.kill('SIGTERM');
      await worker.exited;
    }
  });
});

/** `pid`'s arguments; none for a process that ended since it was listed. */
function commandLine(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

describe('the search attribute check at worker start', () => {
  it('passes on a namespace that has the fleet attributes', async () => {
    const { env } = temporalTestBed();
    await checkSearchAttributes(env.connection, 'default');
  });

  it('names the missing attributes and the commands that register them', async () => {
    const { env } = temporalTestBed();
    const namespace = `bare-${Date.now()}`;
    await env.connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
    await waitUntil('the new namespace', async () => {
      await env.connection.workflowService.describeNamespace({ namespace });
      return true;
    }, { timeoutMs: 30_000 });
    // A new namespace takes a moment to reach every service; wait for a verdict, not an error.
    const verdict = await waitUntil('a verdict on the bare namespace', () => checkSearchAttributes(env.connection, namespace)
      .then(() => 'passed', (error: unknown) => (error instanceof MissingSearchAttributes ? error : undefined)), { timeoutMs: 30_000 });
    assert.ok(verdict instanceof MissingSearchAttributes, 'a namespace without the attributes must not pass');
    assert.match(verdict.message, /lacks the search attributes FleetTenant, FleetKind, FleetJobState/);
    assert.match(verdict.message, new RegExp(`temporal operator search-attribute create --namespace ${namespace} --name FleetTenant --type Keyword`));
  });
});
