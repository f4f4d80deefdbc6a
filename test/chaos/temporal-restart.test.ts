import assert from 'node:assert/strict';
import { Client, Connection } from '@temporalio/client';
import { clusterName } from '../../activities/names';
import { clusterLayout } from '../../activities/runtime/local/layout';
import { freePort } from '../../activities/runtime/local/ports';
import { listPids } from '../../activities/runtime/local/processes';
import { waitUntil } from '../../activities/runtime/local/wait';
import { FleetClient } from '../../client/fleet-client';
import { startTemporalDevServer, type TemporalDevServer } from '../../client/dev/temporal-dev-server';
import { toolchain } from '../../scripts/toolchain';
import { temporalTestBed } from '../harness/global';
import { trackProcess } from '../harness/processes';
import { newStateDir } from '../harness/state';
import { startWorkerProcess, type WorkerProcess } from '../harness/worker-process';
import { sqlPipeline } from '../pipeline/fixtures';
import { LocalRuntime } from '../../activities/runtime/local/local-runtime';
import { join } from 'node:path';
import { fleetDataConverter } from '../../client/codec/data-converter';

const SLOW = "CREATE TEMPORARY TABLE slow (n BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '2', 'fields.n.kind' = 'sequence', 'fields.n.start' = '1', 'fields.n.end' = '100000')";

/**
 * A Temporal server of this test's own (the run's is shared), SIGKILLed and started again on the
 * same database file and port while a pipeline runs and a preview streams: history is the record, so
 * everything must carry on where it was.
 */
describe('the fleet when its Temporal server is SIGKILLed and started again', () => {
  const stateDir = newStateDir('temporal-restart');
  const taskQueue = 'temporal-restart';
  let server: TemporalDevServer;
  let port: number;
  let connection: Connection;
  let fleet: FleetClient;
  let worker: WorkerProcess;
  const runtime = new LocalRuntime({ flinkHome: toolchain().flinkHome, stateDir: join(stateDir, 'runtime'), classArchives: toolchain().flinkClassArchives });

  async function startServer(): Promise<void> {
    server = await startTemporalDevServer({ binary: toolchain().temporalBinary, stateDir: join(stateDir, 'temporal'), port });
    trackProcess(server.pid, `Temporal dev server of the restart test at ${server.address}`);
  }

  // Per test, not per file: what the test starts is the test's, and the leak check after it says so.
  beforeEach(async () => {
    port = await freePort();
    await startServer();
    connection = await Connection.connect({ address: server.address });
    fleet = new FleetClient(new Client({ connection, dataConverter: fleetDataConverter(temporalTestBed().codecKeys) }), taskQueue);
    worker = startWorkerProcess({
      taskQueue, stateDir: join(stateDir, 'runtime'), logFile: join(stateDir, 'worker.log'), entry: join(__dirname, 'worker-with-fault.ts'),
      env: { TEMPORAL_ADDRESS: server.address, FLEET_TEST_WORKFLOW_BUNDLE: temporalTestBed().workflowBundleFile() },
    });
  });

  afterEach(async () => {
    await worker?.stop();
    for (const cluster of await runtime.listClusters()) await runtime.deleteCluster(cluster);
    await connection?.close();
    await server?.stop();
  });

  it('keeps the pipeline running on its one cluster, finishes the preview, and stops both cleanly afterwards', async function () {
    // Its waits allow 240 s each: mocha's 180 s default ended it under load (load average 40) before they did.
    this.timeout(900_000);
    await fleet.startPipeline(sqlPipeline('acme', 'outlives'));
    await fleet.startPool({ sessionCluster: 'restart', target: 1, reconcileSeconds: 2 });
    await waitUntil('the pipeline to run', async () => ((await fleet.getPipeline('acme', 'outlives')).phase === 'Running' ? true : undefined), { timeoutMs: 240_000, intervalMs: 500 });
    const jobManager = listPids(clusterLayout(runtime.stateDir, clusterName('acme', 'outlives')).dir).get('jobmanager');
    await waitUntil('the pool to have its idle TaskManager', async () => {
      const stats = await fleet.poolStats('restart');
      return stats.idle === 1 && stats.starting === 0 ? true : undefined;
    }, { timeoutMs: 240_000, intervalMs: 500 });
    const preview = await fleet.preview('acme', `${SLOW}; SELECT n FROM slow`, { pool: 'restart', maxRows: 40, timeoutSeconds: 90 });
    // The first row has arrived: the preview's job runs when the server dies.
    assert.equal((await preview[Symbol.asyncIterator]().next()).done, false);

    process.kill(server.pid, 'SIGKILL');
    await waitUntil('the server to die', async () => (await fleet.getPipeline('acme', 'outlives').then(() => undefined, () => true)), { timeoutMs: 10_000 });
    await startServer();

    const result = await preview.result();
    assert.equal(result.stoppedBecause, 'row-limit', result.error);
    assert.deepEqual(result.rows.map((r) => r.fields[0]), Array.from({ length: 40 }, (_, i) => i + 1));
    const status = await fleet.getPipeline('acme', 'outlives');
    assert.equal(status.phase, 'Running');
    assert.equal(listPids(clusterLayout(runtime.stateDir, clusterName('acme', 'outlives')).dir).get('jobmanager'), jobManager, 'the same cluster');
    const stopped = await fleet.stopPipeline('acme', 'outlives', { savepoint: true, drain: false, wait: true });
    assert.equal(stopped?.finalState, 'Stopped');
    assert.match(stopped?.savepointPath ?? '', /savepoint-/);
    await fleet.stopPool('restart');
    assert.deepEqual(await runtime.listClusters(), []);
  });
});
