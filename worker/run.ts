import { Client, Connection } from '@temporalio/client';
import { fleetDataConverter } from '../client/codec/data-converter';
import { ensureJanitorSchedule } from '../client/janitor-schedule';
import { tracingFromEnvironment } from '../client/tracing';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { workerSizing, workflowBundle, type WorkerConfig } from './config';
import { createFleetWorker, type FleetWorkerOptions } from './fleet-worker';
import { startPipelineCensus } from '../client/pipeline-census';
import { FLEET_HISTOGRAM_BUCKETS } from '../workflows/metric-names';
import { createLogger, temporalLogger } from './logger';
import { createRuntime } from './runtime';
import { checkSearchAttributes } from './search-attributes-check';
import { createSqlInspector, sqlInspectorInstall } from './sql-inspector';

/** How fresh the pipelines-by-phase gauge is: one visibility list per interval and worker. */
const CENSUS_INTERVAL_MS = 10_000;

/**
 * Runs a worker until SIGTERM/SIGINT (the SDK's own handlers shut it down gracefully). `extras` are
 * for an embedding program: a pre-built workflow bundle (over FLEET_WORKFLOW_BUNDLE's), interceptors.
 */
export async function runWorker(config: WorkerConfig, extras: Pick<FleetWorkerOptions, 'workflowBundle' | 'interceptors'> = {}): Promise<void> {
  const logger = createLogger(config.LOG_LEVEL);
  const tracing = tracingFromEnvironment(process.env, 'flink-fleet-worker');
  Runtime.install({
    logger: temporalLogger(logger),
    telemetryOptions: {
      logging: { filter: { core: 'WARN', other: 'WARN' }, forward: {} },
      ...(config.FLEET_METRICS_PORT ? {
        metrics: { prometheus: { bindAddress: `${config.FLEET_METRICS_HOST}:${config.FLEET_METRICS_PORT}`, histogramBucketOverrides: { ...FLEET_HISTOGRAM_BUCKETS } } },
      } : {}),
    },
  });
  const clientConnection = await Connection.connect({ address: config.TEMPORAL_ADDRESS, ...config.connection });
  const client = new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: fleetDataConverter(config.codecKeys) });
  try {
    await checkSearchAttributes(clientConnection, config.TEMPORAL_NAMESPACE);
    await ensureJanitorSchedule(client, config.FLEET_TASK_QUEUE, config.FLEET_JANITOR_GRACE_SECONDS);
  } catch (error) {
    await clientConnection.close();
    throw error;
  }
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS, ...config.connection });
  const runtime = createRuntime(config, logger);
  const sqlInspector = createSqlInspector(sqlInspectorInstall(config));
  const bundle = extras.workflowBundle ?? workflowBundle(config);
  const worker = await createFleetWorker({
    connection, namespace: config.TEMPORAL_NAMESPACE, taskQueue: config.FLEET_TASK_QUEUE, runtime, codecKeys: config.codecKeys, sqlInspector, tracing,
    sizing: workerSizing(config), ...extras, ...(bundle ? { workflowBundle: bundle } : {}),
  });
  logger.info({ taskQueue: config.FLEET_TASK_QUEUE, runtime: runtime.kind, sizing: workerSizing(config), workflowBundle: bundle ? 'pre-built' : 'bundled at start', address: config.TEMPORAL_ADDRESS, payloadKey: config.codecKeys.current.id, tracing: tracing.enabled }, 'worker started');
  const census = config.FLEET_METRICS_PORT ? startPipelineCensus({
    client, taskQueue: config.FLEET_TASK_QUEUE, meter: Runtime.instance().metricMeter, intervalMs: CENSUS_INTERVAL_MS,
    onError: (error) => logger.warn({ err: error }, 'pipeline census failed; the next one is in a moment'),
  }) : undefined;
  try {
    // The SDK installs SIGTERM/SIGINT handlers that shut the worker down gracefully; run() resolves then.
    await worker.run();
  } finally {
    await census?.stop();
    await clientConnection.close();
    await sqlInspector.close();
    await runtime.close?.();
    await tracing.shutdown();
  }
  await connection.close();
  logger.info('worker stopped');
}
