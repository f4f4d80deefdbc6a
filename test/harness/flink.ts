import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BASE_OPTIONS, renderFlinkConfig, type FlinkOptions } from '../../activities/flink/config';
import { freePort } from '../../activities/runtime/local/ports';
import { clusterPaths, startFlinkProcess, stopProcess, type FlinkProcess } from '../../activities/runtime/local/processes';
import { waitUntil } from '../../activities/runtime/local/wait';
import { toolchain } from '../../scripts/toolchain';
import { trackProcess, untrackProcess } from './processes';

export interface FlinkTestClusterOptions {
  readonly taskManagers?: number;
  readonly sqlGateway?: boolean;
  readonly options?: FlinkOptions;
}

export interface FlinkTestCluster {
  readonly dir: string;
  readonly restUrl: string;
  readonly gatewayUrl?: string;
  readonly processes: readonly FlinkProcess[];
  stop(): Promise<void>;
}

const STARTUP_TIMEOUT_MS = 90_000;

async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response.json();
}

function taskManagerCount(overview: unknown): number | undefined {
  const count = (overview as { taskmanagers?: unknown }).taskmanagers;
  return typeof count === 'number' ? count : undefined;
}

/**
 * A real Flink session cluster (JobManager, single-slot TaskManagers, optionally the SQL Gateway) on
 * free loopback ports, in its own folder. Every process is tracked for the leak check.
 */
export async function startFlinkCluster(request: FlinkTestClusterOptions = {}): Promise<FlinkTestCluster> {
  const flinkHome = toolchain().flinkHome;
  const dir = mkdtempSync(join(tmpdir(), 'flink-fleet-test-cluster-'));
  const paths = clusterPaths(dir);
  const [restPort, rpcPort, gatewayPort] = [await freePort(), await freePort(), await freePort()];
  mkdirSync(paths.conf, { recursive: true });
  for (const file of ['log4j-console.properties', 'logback-console.xml']) {
    copyFileSync(join(flinkHome, 'conf', file), join(paths.conf, file));
  }
  writeFileSync(join(paths.conf, 'config.yaml'), renderFlinkConfig({
    ...BASE_OPTIONS,
    'jobmanager.rpc.address': '127.0.0.1',
    'jobmanager.rpc.port': rpcPort,
    'jobmanager.bind-host': '127.0.0.1',
    'rest.address': '127.0.0.1',
    'rest.bind-address': '127.0.0.1',
    'rest.port': restPort,
    'taskmanager.host': '127.0.0.1',
    'taskmanager.bind-host': '127.0.0.1',
    'sql-gateway.endpoint.rest.address': '127.0.0.1',
    'sql-gateway.endpoint.rest.bind-address': '127.0.0.1',
    'sql-gateway.endpoint.rest.port': gatewayPort,
    'io.tmp.dirs': join(dir, 'tmp'),
    'execution.checkpointing.dir': `file://${join(dir, 'checkpoints')}`,
    'execution.checkpointing.savepoint-dir': `file://${join(dir, 'savepoints')}`,
    ...request.options,
  }));

  const processes: FlinkProcess[] = [];
  const start = (role: FlinkProcess['role'], name: string, args: string[] = []): FlinkProcess => {
    const started = startFlinkProcess({ flinkHome, clusterDir: dir, role, name, args });
    trackProcess(started.pid, `flink ${name} in ${dir}`);
    processes.push(started);
    return started;
  };
  const stop = async (): Promise<void> => {
    await Promise.all(processes.map(async (p) => {
      await stopProcess(p.pid);
      untrackProcess(p.pid);
    }));
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const restUrl = `http://127.0.0.1:${restPort}`;
    const jobManager = start('jobmanager', 'jobmanager');
    await waitUntil('Flink JobManager REST', async () => taskManagerCount(await getJson(`${restUrl}/overview`)), {
      timeoutMs: STARTUP_TIMEOUT_MS, logFile: jobManager.logFile,
    });
    const wanted = request.taskManagers ?? 1;
    for (let i = 1; i <= wanted; i++) {
      start('taskmanager', `taskmanager-${i}`, [`-Dtaskmanager.resource-id=taskmanager-${i}`]);
    }
    await waitUntil(`${wanted} TaskManagers registered`, async () => {
      const count = taskManagerCount(await getJson(`${restUrl}/overview`));
      return count === wanted ? count : undefined;
    }, { timeoutMs: STARTUP_TIMEOUT_MS, logFile: processes.at(-1)?.logFile });
    if (!request.sqlGateway) return { dir, restUrl, processes, stop };
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    const gateway = start('sql-gateway', 'sql-gateway');
    await waitUntil('Flink SQL Gateway', () => getJson(`${gatewayUrl}/v2/info`), {
      timeoutMs: STARTUP_TIMEOUT_MS, logFile: gateway.logFile,
    });
    return { dir, restUrl, gatewayUrl, processes, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
