import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { freePort } from '../../activities/runtime/local/ports';
import { isRunning } from '../../activities/runtime/local/processes';
import { NODE_ADDRESS, REAL_NODE, TEST_INTERFACE } from '../../client/dev/kubernetes-node';
import type { TenantEgress } from '../../activities/runtime/kubernetes/manifests/tenant';
import { logTail, type ComponentStatus, type DevComponent, type DevStack, type LocalClusterStatus } from '../../client/dev/stack-file';
import { clusterName } from '../../activities/names';
import { listPids } from '../../activities/runtime/local/processes';
import { waitUntil } from '../../activities/runtime/local/wait';
import { DATAGEN_TO_BLACKHOLE } from '../pipeline/fixtures';
import { runCli as cli } from '../harness/cli';
import { stopKubernetesTestBed } from '../harness/global';
import { nodePaths } from '../../client/dev/node/configs';
import { hostStateDifferences, NODE_CGROUP, otherContainerdRunning, processesInNewCgroups, snapshotHostState, type HostState } from '../../client/dev/node/host-state';
import { CLUSTER, COMPONENT } from '../../activities/runtime/kubernetes/manifests/labels';
import { FLEET_TENANT, type PoolStats } from '../../workflows/pool/api';
import { DEFAULT_POOL } from '../../workflows/preview/request';
import { newStateDir } from '../harness/state';
import { trackProcess } from '../harness/processes';

/** `dev up` on free ports in a folder of the test run, so neither 7233 nor the user's stack is touched. */
async function devUp(dir: string, extra: string[] = []): Promise<DevStack & { alreadyUp: boolean; restarted: DevComponent[] }> {
  const ports = ['--port', String(await freePort()), '--ui-port', String(await freePort())];
  const up = await cli(['--json', 'dev', 'up', '--dir', dir, ...ports, ...extra]);
  assert.equal(up.code, 0, up.stderr);
  const stack = JSON.parse(up.stdout) as DevStack & { alreadyUp: boolean; restarted: DevComponent[] };
  for (const pid of [stack.temporalPid, stack.workerPid, stack.codecServer.pid, ...(stack.kubernetes?.pids ?? [])]) trackProcess(pid, `dev stack process in ${dir}`);
  return stack;
}

describe('flink-fleet dev', () => {
  it('brings the local stack up once (a second up finds it), runs the pool, and down leaves nothing', async () => {
    const dir = newStateDir('dev-local');
    const stack = await devUp(dir, ['--pool-target', '1']);
    assert.equal(stack.alreadyUp, false);
    assert.equal(stack.runtime, 'local');
    const again = await devUp(dir);
    assert.equal(again.alreadyUp, true);
    assert.equal(again.workerPid, stack.workerPid);
    // The run's key is in FLEET_CODEC_KEY_FILE; this stack encrypts with the key file it made itself.
    const address = ['--address', stack.address, '--codec-key-file', stack.codecKeyFile];
    assert.equal(statSync(stack.codecKeyFile).mode & 0o777, 0o600);
    const preflight = await fetch(`${stack.codecServer.url}/decode`, { method: 'OPTIONS', headers: { Origin: stack.uiUrl, 'Access-Control-Request-Method': 'POST' } });
    assert.equal(preflight.headers.get('access-control-allow-origin'), stack.uiUrl, 'the codec server answers the stack\'s UI');
    const status = await cli([...address, '--json', 'dev', 'status', '--dir', dir]);
    assert.equal(status.code, 0);
    assert.equal((JSON.parse(status.stdout) as { running: boolean }).running, true);
    const pool = await cli([...address, '--json', 'pool', 'stats']);
    assert.equal(pool.code, 0, pool.stderr);
    assert.equal((JSON.parse(pool.stdout) as { target: number }).target, 1);
    const sql = "CREATE TEMPORARY TABLE n (x INT) WITH ('connector' = 'datagen', 'rows-per-second' = '10'); SELECT x FROM n";
    const preview = await cli([...address, '--json', 'preview', '--tenant', 'devtenant', '--sql', sql, '--max-rows', '3', '--timeout', '90s']);
    assert.equal(preview.code, 0, preview.stderr);
    const lines = preview.stdout.trim().split('\n').map((line) => JSON.parse(line) as { fields?: unknown[]; summary?: { stoppedBecause: string; rows: number } });
    assert.equal(lines.filter((line) => line.fields).length, 3, 'three NDJSON rows');
    assert.deepEqual(lines.at(-1)?.summary && { stoppedBecause: lines.at(-1)?.summary?.stoppedBecause, rows: lines.at(-1)?.summary?.rows }, { stoppedBecause: 'row-limit', rows: 3 });
    const refused = await cli([...address, 'preview', '--tenant', 'devtenant', '--sql', 'ADD JAR \'/tmp/x.jar\'; SELECT 1']);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /statement 1 .* is not allowed: jars bring code into the shared cluster/);
    const resized = await cli([...address, 'pool', 'resize', '2']);
    assert.equal(resized.code, 0, resized.stderr);
    assert.match(resized.stdout, /^target 2:/);
    const down = await cli(['--json', 'dev', 'down', '--dir', dir]);
    assert.equal(down.code, 0, down.stderr);
    assert.ok(!isRunning(stack.temporalPid) && !isRunning(stack.workerPid) && !isRunning(stack.codecServer.pid));
    const after = await cli(['dev', 'status', '--dir', dir]);
    assert.equal(after.code, 1);
    assert.match(after.stdout, /not running/);
  });

  it('heals: up again restarts only what died (the worker, then the server on its own database), status says what died and why, logs shows it', async function () {
    // Three dev ups, a pipeline brought to Running and a server restart, on a shared machine.
    this.timeout(15 * 60_000);
    const dir = newStateDir('dev-heal');
    const stack = await devUp(dir, ['--pool-target', '0']);
    const address = ['--address', stack.address, '--codec-key-file', stack.codecKeyFile];
    const script = join(dir, 'orders.sql');
    writeFileSync(script, DATAGEN_TO_BLACKHOLE);
    const started = await cli([...address, '--json', 'pipeline', 'start', '--tenant', 'heal', '--name', 'orders', '--sql', script, '--wait']);
    assert.equal(started.code, 0, started.stderr);
    const cluster = clusterName('heal', 'orders');
    const clusterDir = join(stack.runtimeStateDir, 'clusters', cluster);
    const clusterPids = [...listPids(clusterDir).values()];
    assert.ok(clusterPids.length >= 2, 'a JobManager and a TaskManager');
    const pipeline = async () => JSON.parse((await cli([...address, '--json', 'pipeline', 'status', '--tenant', 'heal', '--name', 'orders'])).stdout) as { phase: string; jobId: string; restarts: number };
    const before = await pipeline();
    assert.equal(before.phase, 'Running');
    const status = async () => {
      const run = await cli(['--json', 'dev', 'status', '--dir', dir]);
      return { code: run.code, ...(JSON.parse(run.stdout) as { running: boolean; components: ComponentStatus[]; clusters: LocalClusterStatus[] }) };
    };
    const component = (components: ComponentStatus[], name: DevComponent) => components.find((c) => c.component === name);
    const killed = async (pid: number) => {
      process.kill(pid, 'SIGKILL');
      await waitUntil(`pid ${pid} gone`, async () => (isRunning(pid) ? undefined : true), { timeoutMs: 30_000 });
    };

    await killed(stack.workerPid);
    const workerDead = await status();
    assert.equal(workerDead.code, 1);
    assert.deepEqual(workerDead.components.map((c) => [c.component, c.running]), [['temporal', true], ['worker', false], ['codecServer', true]]);
    assert.deepEqual(component(workerDead.components, 'worker')?.lastLines, logTail(stack.workerLog, 10), 'the end of the dead worker\'s log');
    assert.ok((component(workerDead.components, 'worker')?.lastLines ?? []).length > 0);
    assert.deepEqual(workerDead.clusters.find((c) => c.cluster === cluster)?.processes.every((p) => p.running), true, 'the cluster outlived its worker');
    const people = await cli(['dev', 'status', '--dir', dir]);
    assert.match(people.stdout, /^worker +DEAD \(pid \d+\)$/m);
    assert.match(people.stdout, /worker died; its log \(.*worker\.log\) ends:\n/);

    const workerHealed = await devUp(dir, ['--pool-target', '0']);
    trackProcess(workerHealed.workerPid, `healed worker in ${dir}`);
    assert.deepEqual(workerHealed.restarted, ['worker']);
    assert.notEqual(workerHealed.workerPid, stack.workerPid);
    assert.equal(workerHealed.temporalPid, stack.temporalPid, 'the server was left alone');
    assert.equal(workerHealed.codecServer.pid, stack.codecServer.pid, 'the codec server was left alone');
    assert.deepEqual([...listPids(clusterDir).values()], clusterPids, 'the cluster was left alone');
    assert.ok(clusterPids.every((pid) => isRunning(pid)));
    const afterWorker = await pipeline();
    assert.deepEqual([afterWorker.phase, afterWorker.jobId, afterWorker.restarts], ['Running', before.jobId, 0]);
    assert.equal((await status()).running, true);

    const logs = await cli(['dev', 'logs', 'worker', '--dir', dir, '--lines', '3']);
    assert.equal(logs.code, 0, logs.stderr);
    assert.deepEqual(logs.stdout.trimEnd().split('\n'), logTail(stack.workerLog, 3));
    const all = await cli(['dev', 'logs', '--dir', dir, '--lines', '0']);
    assert.equal((all.stdout.match(/"msg":"worker started"/g) ?? []).length, 2, 'the whole log: both workers started');
    const clusterLogs = await cli(['dev', 'logs', 'cluster', cluster, '--dir', dir]);
    assert.equal(clusterLogs.code, 0, clusterLogs.stderr);
    assert.match(clusterLogs.stdout, new RegExp(`==> ${clusterDir}/log/jobmanager`));

    await killed(stack.temporalPid);
    const serverDead = await status();
    assert.equal(component(serverDead.components, 'temporal')?.running, false);
    assert.deepEqual(component(serverDead.components, 'temporal')?.lastLines, logTail(join(dir, 'temporal', 'temporal.log'), 10));
    const serverHealed = await devUp(dir, ['--pool-target', '0']);
    trackProcess(serverHealed.temporalPid, `healed server in ${dir}`);
    trackProcess(serverHealed.workerPid, `worker in ${dir}`);
    assert.ok(serverHealed.restarted.includes('temporal') && !serverHealed.restarted.includes('codecServer'), serverHealed.restarted.join());
    assert.notEqual(serverHealed.temporalPid, stack.temporalPid);
    assert.equal(serverHealed.address, stack.address);
    assert.deepEqual([...listPids(clusterDir).values()], clusterPids, 'the cluster was left alone');
    const afterServer = await pipeline();
    assert.deepEqual([afterServer.phase, afterServer.jobId], ['Running', before.jobId], 'the workflow started before the server died is still there');

    const down = await cli(['--json', 'dev', 'down', '--dir', dir]);
    assert.equal(down.code, 0, down.stderr);
    assert.ok(clusterPids.every((pid) => !isRunning(pid)));
  });

  it('with --kubernetes runs the real control plane, a real node, a worker on the kubernetes runtime and the preview pool; a pipeline runs, saves to S3 and stops, a preview returns rows, and down leaves nothing', async function () {
    // One stack start for all of it, on a shared 2-core machine: JVMs in pods under small CPU limits.
    this.timeout(25 * 60_000);
    // One real node per host: the run's own test bed, if started, makes way (the next user starts it again).
    await stopKubernetesTestBed();
    const dir = newStateDir('dev-kubernetes');
    const nodeDir = join(dir, 'kubernetes', 'node');
    const hostBefore = snapshotHostState(nodeDir);
    const stack = await devUp(dir, ['--kubernetes']);
    assert.equal(stack.runtime, 'kubernetes');
    assert.ok(stack.kubernetes);
    assert.equal(stack.kubernetes.nodeDir, nodeDir);
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(stack.kubernetes.kubeconfig);
    const core = kubeConfig.makeApiClient(CoreV1Api);
    const nodes = await core.listNode();
    assert.ok(nodes.items.length >= 4, 'kwok nodes and the real node are registered');
    const real = nodes.items.find((node) => node.metadata?.name === REAL_NODE);
    assert.equal(real?.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
    const started = readFileSync(stack.workerLog, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as { msg?: string; runtime?: string });
    assert.ok(started.some((entry) => entry.msg === 'worker started' && entry.runtime === 'kubernetes'));
    // The worker walls tenants in on this stack: its egress names the node's DNS and S3 gateway and the API server, nothing wider.
    const environment = readFileSync(`/proc/${stack.workerPid}/environ`, 'utf8').split('\0');
    const egress = JSON.parse(environment.find((entry) => entry.startsWith('FLEET_TENANT_EGRESS='))?.slice('FLEET_TENANT_EGRESS='.length) ?? 'null') as TenantEgress | null;
    const s3 = new URL(stack.kubernetes.s3.endpoint);
    assert.deepEqual(egress?.dns, [{ ipBlock: { cidr: `${NODE_ADDRESS}/32` } }]);
    assert.deepEqual(egress?.objectStorage, [{ cidr: `${s3.hostname}/32`, port: Number(s3.port) }]);
    const apiServer = `${new URL(stack.kubernetes.server).hostname}/32`;
    assert.ok(egress?.apiServer.some((endpoint) => endpoint.cidr === apiServer));

    // As the README's walkthrough types them, the pool warming up meanwhile.
    const address = ['--address', stack.address, '--codec-key-file', stack.codecKeyFile];
    const script = join(dir, 'orders.sql');
    writeFileSync(script, DATAGEN_TO_BLACKHOLE);
    const pipeline = ['--tenant', 'devk8s', '--name', 'orders'];
    const start = await cli([...address, 'pipeline', 'start', ...pipeline, '--sql', script, '--cpu', '0.5', '--wait']);
    assert.equal(start.code, 0, start.stderr);
    assert.match(start.stdout, /^phase +Running$/m);
    const status = await cli([...address, '--json', 'pipeline', 'status', ...pipeline]);
    assert.equal(status.code, 0, status.stderr);
    const running = JSON.parse(status.stdout) as { phase: string; jobId?: string };
    assert.equal(running.phase, 'Running');
    assert.match(running.jobId ?? '', /^[0-9a-f]{32}$/, 'a Flink job id');
    const cluster = clusterName('devk8s', 'orders');
    const pipelinePods = async () => (await core.listPodForAllNamespaces({ labelSelector: `${CLUSTER}=${cluster}` })).items;
    assert.deepEqual((await pipelinePods()).map((p) => p.spec?.nodeName), [REAL_NODE, REAL_NODE], 'its JobManager and TaskManager run on the real node');

    const devStatus = async () => JSON.parse((await cli([...address, '--json', 'dev', 'status', '--dir', dir])).stdout) as { running: boolean; pool: PoolStats | null };
    await waitUntil('an idle pool TaskManager', async () => ((await devStatus()).pool?.idle ?? 0) >= 1 ? true : undefined, { timeoutMs: 10 * 60_000, intervalMs: 2_000 });
    const withPool = await devStatus();
    assert.equal(withPool.running, true);
    assert.deepEqual([withPool.pool?.target, withPool.pool?.idle], [1, 1]);
    const poolCluster = clusterName(FLEET_TENANT, DEFAULT_POOL);
    const poolPods = (await core.listPodForAllNamespaces({ labelSelector: `${CLUSTER}=${poolCluster}` })).items;
    assert.deepEqual(poolPods.map((p) => p.metadata?.labels?.[COMPONENT]).sort(), ['gateway', 'jobmanager', 'taskmanager']);
    assert.ok(poolPods.every((p) => p.spec?.nodeName === REAL_NODE), 'the pool runs on the real node');

    const sql = "CREATE TEMPORARY TABLE n (x BIGINT) WITH ('connector' = 'datagen', 'fields.x.kind' = 'sequence', 'fields.x.start' = '1', 'fields.x.end' = '1000'); SELECT x FROM n";
    const preview = await cli([...address, '--json', 'preview', '--tenant', 'devk8s', '--sql', sql, '--max-rows', '3', '--timeout', '5m']);
    assert.equal(preview.code, 0, preview.stderr);
    const lines = preview.stdout.trim().split('\n').map((line) => JSON.parse(line) as { fields?: unknown[]; summary?: { stoppedBecause: string } });
    assert.deepEqual(lines.filter((line) => line.fields).map((line) => line.fields), [[1], [2], [3]]);
    assert.equal(lines.at(-1)?.summary?.stoppedBecause, 'row-limit');

    // Flink's containers, as the node's containerd lists them: what must be gone after down.
    const tasks = execFileSync('ctr', ['--address', nodePaths(nodeDir).containerdSocket, '--namespace', 'k8s.io', 'tasks', 'list', '--quiet'], { encoding: 'utf8' });
    assert.ok(tasks.trim().split('\n').length >= 4, `the pipeline's and the pool's containers run: ${tasks}`);

    const stop = await cli([...address, '--json', 'pipeline', 'stop', ...pipeline, '--savepoint']);
    assert.equal(stop.code, 0, stop.stderr);
    const stopped = JSON.parse(stop.stdout) as { finalState: string; savepointPath?: string };
    assert.equal(stopped.finalState, 'Stopped');
    const savepoint = /^s3:\/\/fleet\/(.+)$/.exec(stopped.savepointPath ?? '');
    assert.ok(savepoint?.[1], `a savepoint on S3: ${stopped.savepointPath ?? 'none'}`);
    assert.ok(existsSync(join(dir, 's3', 'objects', 'fleet', savepoint[1], '_metadata')), `the gateway holds ${stopped.savepointPath ?? ''}`);
    assert.deepEqual(await pipelinePods(), [], 'the stopped pipeline left no pod');

    const down = await cli(['--json', 'dev', 'down', '--dir', dir]);
    assert.equal(down.code, 0, down.stderr);
    // The pool deleted its own session cluster when it stopped: down found no cluster to delete for it.
    assert.deepEqual((JSON.parse(down.stdout) as { deletedClusters: string[] }).deletedClusters, []);
    for (const pid of [stack.temporalPid, stack.workerPid, stack.codecServer.pid, ...stack.kubernetes.pids]) assert.equal(isRunning(pid), false, `pid ${pid} stopped`);
    assert.equal(existsSync(`/sys/class/net/${TEST_INTERFACE}`), false, 'the real node put the host back');
    assert.equal(existsSync(join(dir, 'kubernetes')), false, 'the control plane\'s data (every object of the fleet) is gone');
    assert.deepEqual(processesInNewCgroups(hostBefore), [], 'no process of a pod (no Flink JVM, no container) is left');
    assert.deepEqual(readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((line) => line.includes(dir)), [], 'no mount under the dev folder');
    // Sysctls, iptables chains, ip sets, interfaces, mounts, fixed paths and the node's cgroups as before dev up
    // (other helpers on this host make cgroups of their own meanwhile: a sandbox's is not the node's to remove).
    const nodeCgroups = (state: HostState): HostState => ({ ...state, cgroups: state.cgroups.filter((cgroup) => NODE_CGROUP.test(cgroup)) });
    const differences = hostStateDifferences(nodeCgroups(hostBefore), nodeCgroups(snapshotHostState(nodeDir)));
    assert.deepEqual(otherContainerdRunning() ? differences.filter((d) => d !== 'paths: /run/containerd added') : differences, []);
  });
});
