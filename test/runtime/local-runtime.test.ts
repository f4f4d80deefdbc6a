import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FlinkRestClient } from '../../activities/flink/rest-client';
import { LocalRuntime } from '../../activities/runtime/local/local-runtime';
import { clusterLayout, writeRecord } from '../../activities/runtime/local/layout';
import { freePort } from '../../activities/runtime/local/ports';
import { isRunning, listPids } from '../../activities/runtime/local/processes';
import { waitUntil } from '../../activities/runtime/local/wait';
import type { ApplicationClusterSpec } from '../../activities/runtime/types';
import { toolchain } from '../../scripts/toolchain';
import { TEST_RESOURCES } from '../harness/flink';
import { newStateDir } from '../harness/state';

const PIPELINE = [
  "CREATE TABLE numbers (n BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '10');",
  "CREATE TABLE sink (n BIGINT) WITH ('connector' = 'blackhole');",
  'INSERT INTO sink SELECT n FROM numbers;',
].join('\n');

function pipelineSpec(name: string): ApplicationClusterSpec {
  return {
    tenant: 'acme', name, jobId: '0123456789abcdef0123456789abcdef', parallelism: 1, slotsPerTaskManager: 1,
    jobManager: TEST_RESOURCES, taskManager: TEST_RESOURCES, job: { kind: 'sql', script: PIPELINE },
  };
}

async function jobState(restUrl: string, jobId: string): Promise<string | undefined> {
  return (await new FlinkRestClient(restUrl).jobs()).find((job) => job.id === jobId)?.state;
}

describe('the local runtime', () => {
  let runtime: LocalRuntime;
  beforeEach(() => {
    runtime = new LocalRuntime({ flinkHome: toolchain().flinkHome, stateDir: newStateDir('local-runtime') });
  });
  afterEach(async () => {
    for (const cluster of await runtime.listClusters()) await runtime.deleteCluster(cluster);
  });

  it('runs a SQL pipeline as an application cluster until its job is RUNNING', async () => {
    const spec = pipelineSpec('orders');
    const { restUrl } = await runtime.deployApplicationCluster(spec);
    await waitUntil('the pipeline job to run', async () => ((await jobState(restUrl, spec.jobId)) === 'RUNNING' ? true : undefined), { timeoutMs: 60_000 });
    const observed = await runtime.observe(spec);
    assert.equal(observed.health, 'running');
    assert.deepEqual(observed.processes.map((p) => p.name).sort(), ['jobmanager', 'taskmanager-1']);
  });

  it('resumes a SQL pipeline in a new cluster from the savepoint its stop wrote to disk', async () => {
    const spec = pipelineSpec('resumed');
    const { restUrl } = await runtime.deployApplicationCluster(spec);
    await waitUntil('the pipeline job to run all its tasks', async () => {
      const job = await new FlinkRestClient(restUrl).job(spec.jobId);
      return job.state === 'RUNNING' && job.vertices.every((v) => v.status === 'RUNNING') ? true : undefined;
    }, { timeoutMs: 60_000 });
    const flink = new FlinkRestClient(restUrl);
    const trigger = await flink.stopWithSavepoint(spec.jobId, { targetDirectory: `${runtime.storageUri(spec)}/savepoints`, drain: false });
    const savepoint = await waitUntil('the savepoint', async () => {
      const status = await flink.savepointStatus(spec.jobId, trigger);
      return status.state === 'COMPLETED' ? status.location : undefined;
    }, { timeoutMs: 60_000 });
    assert.ok(existsSync(join(fileURLToPath(savepoint.replace(/^file:(?!\/\/)/, 'file://')), '_metadata')), `${savepoint}/_metadata on disk`);
    await runtime.deleteCluster(spec);
    const resumed = { ...spec, jobId: 'fedcba9876543210fedcba9876543210', restoreFrom: savepoint };
    const next = await runtime.deployApplicationCluster(resumed);
    await waitUntil('the resumed job to run', async () => ((await jobState(next.restUrl, resumed.jobId)) === 'RUNNING' ? true : undefined), { timeoutMs: 60_000 });
    const { restored } = await new FlinkRestClient(next.restUrl).checkpoints(resumed.jobId);
    assert.equal(restored?.isSavepoint, true);
    assert.equal(restored?.externalPath, savepoint);
  });

  it('finds the cluster a previous attempt deployed instead of starting a second one', async () => {
    const spec = pipelineSpec('retried');
    const first = await runtime.deployApplicationCluster(spec);
    const dir = clusterLayout(runtime.stateDir, 'acme--retried').dir;
    const pidsBefore = [...listPids(dir).entries()];
    const again = await new LocalRuntime({ flinkHome: toolchain().flinkHome, stateDir: runtime.stateDir }).deployApplicationCluster(spec);
    assert.deepEqual(again, first);
    assert.deepEqual([...listPids(dir).entries()], pidsBefore);
  });

  it('starts a cluster again on new ports when another process bound one of them first, and runs its job once', async () => {
    const spec = pipelineSpec('port-taken');
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const held = (holder.address() as AddressInfo).port;
    try {
      // The ports a deploy drew, as if another process had bound the REST one between the draw and the JobManager's bind.
      const layout = clusterLayout(runtime.stateDir, 'acme--port-taken');
      writeRecord(layout, { tenant: 'acme', name: 'port-taken', cluster: 'acme--port-taken', kind: 'application', createdAt: new Date().toISOString(), ports: { rest: held, rpc: await freePort() } });
      const { restUrl } = await runtime.deployApplicationCluster(spec);
      assert.notEqual(new URL(restUrl).port, String(held));
      await waitUntil('the pipeline job to run', async () => ((await jobState(restUrl, spec.jobId)) === 'RUNNING' ? true : undefined), { timeoutMs: 60_000 });
      assert.deepEqual((await new FlinkRestClient(restUrl).jobs()).map((job) => job.id), [spec.jobId]);
      assert.match(readFileSync(join(layout.dir, 'log-port-taken-1', 'jobmanager.out'), 'utf8'), /java\.net\.BindException/);
      const live = [...listPids(layout.dir).entries()].filter(([, pid]) => isRunning(pid, layout.dir)).map(([name]) => name).sort();
      assert.deepEqual(live, ['jobmanager', 'taskmanager-1'], 'the first draw\'s JVMs are gone');
    } finally {
      holder.close();
    }
  });

  it('is found, with its live processes, by a runtime that starts later on the same state folder', async () => {
    const spec = pipelineSpec('survivor');
    const { restUrl } = await runtime.deployApplicationCluster(spec);
    const restarted = new LocalRuntime({ flinkHome: toolchain().flinkHome, stateDir: runtime.stateDir });
    assert.deepEqual((await restarted.listClusters()).map((c) => [c.tenant, c.name, c.kind]), [['acme', 'survivor', 'application']]);
    const observed = await restarted.observe(spec);
    assert.equal(observed.health, 'running');
    assert.equal(observed.endpoints?.restUrl, restUrl);
  });

  it('reports a cluster whose JobManager was killed as failed, with the reason', async () => {
    const spec = pipelineSpec('killed');
    await runtime.deployApplicationCluster(spec);
    const jobManagerPid = listPids(clusterLayout(runtime.stateDir, 'acme--killed').dir).get('jobmanager');
    assert.ok(jobManagerPid);
    process.kill(jobManagerPid, 'SIGKILL');
    await waitUntil('the JobManager to die', async () => (isRunning(jobManagerPid) ? undefined : true), { timeoutMs: 10_000 });
    const observed = await runtime.observe(spec);
    assert.equal(observed.health, 'failed');
    assert.match(observed.reason ?? '', /jobmanager process is not running/);
  });

  it('deletes every process and folder of a cluster, and deleting again succeeds', async () => {
    const spec = pipelineSpec('deleted');
    await runtime.deployApplicationCluster(spec);
    const dir = clusterLayout(runtime.stateDir, 'acme--deleted').dir;
    const pids = [...listPids(dir).values()];
    assert.equal(pids.length, 2);
    await runtime.deleteCluster(spec);
    await runtime.deleteCluster(spec);
    assert.ok(pids.every((pid) => !isRunning(pid)));
    assert.equal(existsSync(dir), false);
    assert.equal((await runtime.observe(spec)).health, 'missing');
  });

  it('adds and kills single TaskManagers of a session cluster by id', async () => {
    const ref = { tenant: 'fleet', name: 'previews' };
    const { restUrl, gatewayUrl } = await runtime.deploySessionCluster({ ...ref, jobManager: TEST_RESOURCES, taskManager: TEST_RESOURCES });
    assert.ok(gatewayUrl);
    await runtime.addTaskManager(ref, 'pool-tm-a');
    await runtime.addTaskManager(ref, 'pool-tm-b');
    const registered = async (): Promise<string[]> => {
      return (await new FlinkRestClient(restUrl).taskManagers()).map((tm) => tm.id).sort();
    };
    await waitUntil('both TaskManagers to register', async () => ((await registered()).length === 2 ? true : undefined), { timeoutMs: 60_000 });
    assert.deepEqual(await registered(), ['pool-tm-a', 'pool-tm-b']);
    await runtime.killTaskManager(ref, 'pool-tm-a');
    await runtime.killTaskManager(ref, 'pool-tm-a');
    const observed = await runtime.observe(ref);
    assert.deepEqual(observed.processes.map((p) => p.name).sort(), ['jobmanager', 'pool-tm-b', 'sql-gateway']);
    assert.equal(observed.health, 'running');
  });

  it('writes explicit memory sizes and loopback endpoints into the cluster config', async () => {
    const spec = { ...pipelineSpec('sized'), taskManager: { cpu: 1, memoryMb: 1280 } };
    await runtime.deployApplicationCluster(spec);
    const config = readFileSync(`${clusterLayout(runtime.stateDir, 'acme--sized').conf}/config.yaml`, 'utf8');
    assert.match(config, /^jobmanager.memory.process.size: "1024m"$/m);
    assert.match(config, /^taskmanager.memory.process.size: "1280m"$/m);
    assert.match(config, /^rest.bind-address: "127.0.0.1"$/m);
    assert.match(config, /^execution.shutdown-on-application-finish: false$/m);
  });
});
