import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { fleetDataConverter } from '../../client/codec/data-converter';
import { startTemporalServer, type TemporalServer } from '../../client/dev/temporal-server';
import { toolchain } from '../../scripts/toolchain';
import type { FleetTemporal } from './fleet';
import { temporalTestBed } from './global';
import { trackProcess } from './processes';
import { newStateDir } from './state';

export interface ProductionTemporal extends FleetTemporal {
  readonly server: TemporalServer;
  stop(): Promise<void>;
}

let production: Promise<ProductionTemporal> | undefined;

async function start(): Promise<ProductionTemporal> {
  const tools = toolchain();
  const server = await startTemporalServer({
    binDir: tools.temporalServerBin, schemaDir: tools.temporalServerSchema, stateDir: newStateDir('temporal-server'), namespace: 'fleet-production',
  });
  for (const pid of server.pids()) trackProcess(pid, `production Temporal server at ${server.address} (or its PostgreSQL)`, 'run');
  try {
    const connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection, namespace: server.namespace, dataConverter: fleetDataConverter(temporalTestBed().codecKeys) });
    const nativeConnection = await NativeConnection.connect({ address: server.address });
    return {
      server, client, nativeConnection, namespace: server.namespace,
      async stop() {
        await nativeConnection.close();
        await connection.close();
        await server.stop();
      },
    };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

/**
 * The production Temporal server (temporal-server on PostgreSQL, a namespace of its own with the
 * fleet's search attributes), started on first use: it costs tens of seconds, and most files never
 * ask for it. Stopped with the run's other shared components.
 */
export function productionTemporal(): Promise<ProductionTemporal> {
  production ??= start();
  return production;
}

export async function stopProductionTemporal(): Promise<void> {
  const running = production;
  production = undefined;
  if (running) await (await running.catch(() => undefined))?.stop();
}
