import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { freePort } from '../../activities/runtime/local/ports';
import { stopProcess } from '../../activities/runtime/local/processes';
import { waitUntil } from '../../activities/runtime/local/wait';
import { FLEET_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { startPrivatePostgres, type PrivatePostgres } from './postgres';
import { MAX_MEMBERSHIP_PORT, renderTemporalDynamicConfig, renderTemporalServerConfig, TEMPORAL_SERVICES, type ServicePorts, type TemporalService } from './temporal-server-config';
import { searchAttributesRegistered } from './temporal-dev-server';

export interface TemporalServerOptions {
  /** Holds temporal-server and temporal-sql-tool (the installer's toolchain().temporalServerBin). */
  readonly binDir: string;
  /** The module's schema/postgresql/v12 folder (toolchain().temporalServerSchema). */
  readonly schemaDir: string;
  /** Holds the config and the server's log. */
  readonly stateDir: string;
  readonly namespace: string;
}

export interface TemporalServer {
  readonly address: string;
  readonly namespace: string;
  readonly logFile: string;
  /** The server's and PostgreSQL's, for a leak check. */
  pids(): number[];
  /** PostgreSQL's folder, outside stateDir: stop() removes it, a caller interrupted before that must. */
  readonly postgresDir: string;
  stop(): Promise<void>;
}

const DATABASES = { persistence: 'temporal', visibility: 'temporal_visibility' } as const;
const READY_TIMEOUT_MS = 180_000;

async function servicePorts(): Promise<Record<TemporalService, ServicePorts>> {
  const entries: [TemporalService, ServicePorts][] = [];
  const taken = new Set<number>();
  for (const service of TEMPORAL_SERVICES) entries.push([service, { grpc: await freePort({ taken }), membership: await freePort({ max: MAX_MEMBERSHIP_PORT, taken }) }]);
  return Object.fromEntries(entries) as Record<TemporalService, ServicePorts>;
}

function runTool(tool: string, args: string[]): void {
  const result = spawnSync(tool, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${tool} ${args.at(-1)} failed: ${result.stderr || result.error?.message}`);
}

/** Creates both databases and brings each to the newest schema version, as temporal-sql-tool does for an operator. */
function setUpSchemas(options: TemporalServerOptions, postgres: PrivatePostgres): void {
  const tool = join(options.binDir, 'temporal-sql-tool');
  const connection = ['--plugin', 'postgres12', '--endpoint', postgres.host, '--port', String(postgres.port), '--user', postgres.user, '--password', ''];
  for (const [database, folder] of [[DATABASES.persistence, 'temporal'], [DATABASES.visibility, 'visibility']] as const) {
    const on = [...connection, '--database', database];
    runTool(tool, [...on, 'create-database']);
    runTool(tool, [...on, 'setup-schema', '--version', '0.0']);
    runTool(tool, [...on, 'update-schema', '--schema-dir', join(options.schemaDir, folder, 'versioned')]);
  }
}

/** Temporal's IndexedValueType numbers, for the types the fleet's search attributes use. */
const INDEXED_VALUE_TYPE = { KEYWORD: 2 } as const;

/** The namespace and the fleet's search attributes, as an operator registers them on a new cluster. */
async function registerNamespace(address: string, namespace: string): Promise<void> {
  const connection = await Connection.connect({ address, connectTimeout: 5_000 });
  try {
    const known = await connection.workflowService.describeNamespace({ namespace }).then(() => true, () => false);
    if (!known) {
      await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
    }
    // The frontend's namespace cache learns of a new namespace within seconds.
    await waitUntil(`namespace ${namespace}`, async () => (await connection.workflowService.describeNamespace({ namespace })) && true, { timeoutMs: 60_000, intervalMs: 500 });
    // Only the missing ones: adding one that exists is an error, and this runs again after a failure.
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    const missing = FLEET_SEARCH_ATTRIBUTES.filter((key) => !(key.name in customAttributes));
    if (missing.length > 0) {
      const searchAttributes = Object.fromEntries(missing.map((key) => [key.name, INDEXED_VALUE_TYPE[key.type]]));
      await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
    }
  } finally {
    await connection.close();
  }
}

/**
 * Temporal as a production cluster runs it: `temporal-server` (all four services in one process) on
 * a private PostgreSQL for persistence and visibility, with `namespace` and the fleet's search
 * attributes registered. Everything listens on loopback; stop() leaves no process and no data.
 */
export async function startTemporalServer(options: TemporalServerOptions): Promise<TemporalServer> {
  mkdirSync(options.stateDir, { recursive: true });
  // Outside stateDir: PostgreSQL runs as its own user, which may not enter a test run's private folder.
  const postgresDir = mkdtempSync(join(tmpdir(), 'flink-fleet-postgres-'));
  const postgres = await startPrivatePostgres({ dir: postgresDir, port: await freePort(), user: 'temporal' });
  let serverPid: number | undefined;
  const stop = async (): Promise<void> => {
    if (serverPid !== undefined) await stopProcess(serverPid, 20_000);
    await postgres.stop();
  };
  try {
    setUpSchemas(options, postgres);
    const ports = await servicePorts();
    const configFile = join(options.stateDir, 'temporal-server.yaml');
    const dynamicConfigFile = join(options.stateDir, 'dynamic-config.yaml');
    writeFileSync(dynamicConfigFile, renderTemporalDynamicConfig());
    writeFileSync(configFile, renderTemporalServerConfig({
      ports, postgres, databases: DATABASES, numHistoryShards: 4, dynamicConfigFile, logLevel: 'warn',
    }));
    const logFile = join(options.stateDir, 'temporal-server.log');
    const out = openSync(logFile, 'a');
    const child = spawn(join(options.binDir, 'temporal-server'), ['--config-file', configFile, '--allow-no-auth', 'start'],
      { detached: true, stdio: ['ignore', out, out] });
    closeSync(out);
    if (child.pid === undefined) throw new Error('could not start temporal-server');
    serverPid = child.pid;
    let exited: string | undefined;
    child.on('exit', (code, signal) => { exited = `exited (${signal ?? `code ${code}`})`; });
    child.unref();
    const address = `127.0.0.1:${ports.frontend.grpc}`;
    await waitUntil('Temporal server', () => registerNamespace(address, options.namespace).then(() => true),
      { timeoutMs: READY_TIMEOUT_MS, intervalMs: 1_000, logFile, hopeless: () => exited });
    await waitUntil('the fleet\'s search attributes', () => searchAttributesRegistered(address, options.namespace),
      { timeoutMs: 60_000, intervalMs: 500, logFile, hopeless: () => exited });
    const pid = serverPid;
    return { address, namespace: options.namespace, logFile, pids: () => [pid, postgres.pid], postgresDir, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
