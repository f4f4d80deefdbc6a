import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { LocalRuntime } from '../activities/runtime/local/local-runtime';
import { killProcessNow, stopProcess } from '../activities/runtime/local/processes';
import { fleetDataConverter } from '../client/codec/data-converter';
import { newCodecKey, parseCodecKeys, type CodecKeyRing } from '../client/codec/keys';
import { startTemporalDevServer, type TemporalDevServer } from '../client/dev/temporal-dev-server';
import { FleetClient } from '../client/fleet-client';
import { toolchain } from '../scripts/toolchain';
import { liveProcesses, watchFlinkProcessesUnder } from '../test/harness/processes';
import { onInterrupt } from './interrupt';

/** What every local bench runs against: its own Temporal dev server and local runtime under one temp root. */
export interface BenchStack {
  readonly root: string;
  readonly server: TemporalDevServer;
  readonly runtime: LocalRuntime;
  /** `FLEET_CODEC_KEYS` for a worker process, and the same keys parsed for a worker in this process. */
  readonly codecKey: string;
  readonly codecKeys: CodecKeyRing;
  /** A client on `taskQueue` that encrypts as production does, so the figures include the codec's cost. */
  readonly fleet: FleetClient;
}

/**
 * Runs `body` against a fresh stack and removes all of it afterwards, whatever `body` did: its Flink
 * clusters, any Flink process still running under the root, the server and the root itself.
 */
export async function withBenchStack<T>(label: string, taskQueue: string, body: (stack: BenchStack) => Promise<T>): Promise<T> {
  const root = mkdtempSync(join(tmpdir(), `flink-fleet-${label}-`));
  watchFlinkProcessesUnder(root);
  const server = await startTemporalDevServer({ binary: toolchain().temporalBinary, stateDir: join(root, 'temporal') });
  const runtime = new LocalRuntime({ flinkHome: toolchain().flinkHome, stateDir: join(root, 'state'), classArchives: toolchain().flinkClassArchives });
  const codecKey = newCodecKey(label);
  const codecKeys = parseCodecKeys(codecKey, `the ${label} key`);
  let fleet: FleetClient | undefined;
  // Its Flink JVMs and server run detached, so an interrupted bench must end them itself; a bench
  // SIGKILLed cannot, and leaves them.
  const stopHandlingInterrupts = onInterrupt(() => {
    for (const p of liveProcesses('run')) killProcessNow(p.pid);
    killProcessNow(server.pid);
    rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  });
  try {
    fleet = new FleetClient(new Client({ connection: await Connection.connect({ address: server.address }), dataConverter: fleetDataConverter(codecKeys) }), taskQueue);
    return await body({ root, server, runtime, codecKey, codecKeys, fleet });
  } finally {
    stopHandlingInterrupts();
    await fleet?.close();
    for (const cluster of await runtime.listClusters()) await runtime.deleteCluster(cluster);
    for (const p of liveProcesses('run')) await stopProcess(p.pid, 5_000);
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  }
}
