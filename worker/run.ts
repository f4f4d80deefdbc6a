import { Client, Connection } from '@temporalio/client';
import { fleetDataConverter } from '../client/codec/data-converter';
import { ensureJanitorSchedule } from '../client/janitor-schedule';
import { NativeConnection, Runtime } from '@temporalio/worker';
import type { WorkerConfig } from './config';
import { createFleetWorker, type FleetWorkerOptions } from './fleet-worker';
import { createLogger, temporalLogger } from './logger';
import { createRuntime } from './runtime';
import { checkSearchAttributes } from './search-attributes-check';
import { createSqlInspector, sqlInspectorInstall } from './sql-inspector';

/**
 * Runs a worker until SIGTERM/SIGINT (the SDK's own handlers shut it down gracefully). `extras` are
 * for an embedding program: a pre-built workflow bundle, interceptors.
 */
export async function runWorker(config: WorkerConfig, extras: Pick<FleetWorkerOptions, 'workflowBundle' | 'interceptors'> = {}): Promise<void> {
  const logger = createLogger(config.LOG_LEVEL);
  Runtime.install({
    logger: temporalLogger(logger),
    telemetryOptions: {
      logging: { filter: { core: 'WARN', other: 'WARN' }, forward: {} },
      ...(config.FLEET_METRICS_PORT ? { metrics: { prometheus: { bindAddress: `${config.FLEET_METRICS_HOST}:${config.FLEET_METRICS_PORT}` } } } : {}),
    },
  });
  const clientConnection = await Connection.connect({ address: config.TEMPORAL_ADDRESS, ...config.connection });
  try {
    await checkSearchAttributes(clientConnection, config.TEMPORAL_NAMESPACE);
    await ensureJanitorSchedule(new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: fleetDataConverter(config.codecKeys) }), config.FLEET_TASK_QUEUE);
  } finally {
    await clientConnection.close();
  }
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS, ...config.connection });
  const runtime = createRuntime(config);
  const sqlInspector = createSqlInspector(sqlInspectorInstall(config));
  const worker = await createFleetWorker({
    connection, namespace: config.TEMPORAL_NAMESPACE, taskQueue: config.FLEET_TASK_QUEUE, runtime, codecKeys: config.codecKeys, sqlInspector, ...extras,
  });
  logger.info({ taskQueue: config.FLEET_TASK_QUEUE, runtime: runtime.kind, address: config.TEMPORAL_ADDRESS, payloadKey: config.codecKeys.current.id }, 'worker started');
  try {
    // The SDK installs SIGTERM/SIGINT handlers that shut the worker down gracefully; run() resolves then.
    await worker.run();
  } finally {
    await sqlInspector.close();
  }
  await connection.close();
  logger.info('worker stopped');
}
