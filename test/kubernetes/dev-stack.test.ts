import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { isRunning } from '../../activities/runtime/local/processes';
import { NODE_ADDRESS, REAL_NODE, TEST_INTERFACE } from '../../client/dev/kubernetes-node';
import type { TenantEgress } from '../../activities/runtime/kubernetes/manifests/tenant';
import { clusterName } from '../../activities/names';
import { waitUntil } from '../../activities/runtime/local/wait';
import { DATAGEN_TO_BLACKHOLE } from '../pipeline/fixtures';
import { runCli as cli } from '../harness/cli';
import { devUp, type DevUp } from '../harness/dev-stack';
import { signV4 } from '../../activities/storage/sigv4';
import { S3_GATEWAY, type S3Credentials } from '../../client/dev/s3-gateway';
import { stopKubernetesTestBed } from '../harness/global';
import { nodePaths } from '../../client/dev/node/configs';
import { hostStateDifferences, NODE_CGROUP, otherContainerdRunning, processesInNewCgroups, snapshotHostState, type HostState } from '../../client/dev/node/host-state';
import { CLUSTER, COMPONENT } from '../../activities/runtime/kubernetes/manifests/labels';
import { FLEET_TENANT, type PoolStats } from '../../workflows/pool/api';
import { DEFAULT_POOL } from '../../workflows/preview/request';
import { newStateDir } from '../harness/state';
import type { ClusterStatus, ComponentStatus } from '../../client/dev/stack-file';

/** SIGKILLs the named daemons of the stack's Kubernetes part and waits until they are gone. */
async function killDaemons(stack: DevUp, names: readonly string[]): Promise<void> {
  const pids = names.map((name) => {
    const daemon = stack.kubernetes?.daemons.find((d) => d.name === name);
    assert.ok(daemon && isRunning(daemon.pid), `${name} runs`);
    process.kill(daemon.pid, 'SIGKILL');
    return daemon.pid;
  });
  await waitUntil(`${names.join(', ')} gone`, async () => (pids.every((pid) => !isRunning(pid)) ? true : undefined), { timeoutMs: 30_000 });
}

describe('flink-fleet dev --kubernetes', () => {
  it('with --kubernetes runs the real control plane, a real node, a worker on the kubernetes runtime and the preview pool; a pipeline runs, saves to S3 and stops, a preview returns rows, a dead API server, kubelet or S3 gateway is started again alone, and down leaves nothing', async function () {
    // One stack start for all of it, on a shared 2-core machine: JVMs in pods under small CPU limits.
    this.timeout(25 * 60_000);
    // One real node per host: the run's own test bed, if started, makes way (the next user starts it again).
    await stopKubernetesTestBed();
    const dir = newStateDir('dev-kubernetes');
    const nodeDir = join(dir, 'kubernetes', 'node');
    const hostBefore = snapshotHostState(nodeDir);
    const othersAtStart = otherContainerdRunning();
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

    const devStatus = async () => JSON.parse((await cli([...address, '--json', 'dev', 'status', '--dir', dir])).stdout) as { running: boolean; pool: PoolStats | null; clusters: ClusterStatus[] };
    await waitUntil('an idle pool TaskManager', async () => ((await devStatus()).pool?.idle ?? 0) >= 1 ? true : undefined, { timeoutMs: 10 * 60_000, intervalMs: 2_000 });
    const withPool = await devStatus();
    assert.equal(withPool.running, true);
    assert.deepEqual([withPool.pool?.target, withPool.pool?.idle], [1, 1]);
    const poolCluster = clusterName(FLEET_TENANT, DEFAULT_POOL);
    const poolPods = (await core.listPodForAllNamespaces({ labelSelector: `${CLUSTER}=${poolCluster}` })).items;
    assert.deepEqual(poolPods.map((p) => p.metadata?.labels?.[COMPONENT]).sort(), ['gateway', 'jobmanager', 'taskmanager']);
    assert.ok(poolPods.every((p) => p.spec?.nodeName === REAL_NODE), 'the pool runs on the real node');
    // dev status and dev logs read the clusters from the API server: pods, not the local runtime's pid files.
    const listed = withPool.clusters.find((c) => c.cluster === cluster);
    assert.deepEqual(listed && [listed.kind, listed.processes.map((p) => p.running)], ['application', [true, true]], JSON.stringify(withPool.clusters));
    assert.equal(withPool.clusters.find((c) => c.cluster === poolCluster)?.kind, 'session');
    const clusterLogs = await cli(['dev', 'logs', 'cluster', cluster, '--dir', dir, '--lines', '5']);
    assert.equal(clusterLogs.code, 0, clusterLogs.stderr);
    const blocks = clusterLogs.stdout.split(/^==> /m).filter(Boolean);
    assert.equal(blocks.length, 2, `a log per pod's container:\n${clusterLogs.stdout}`);
    const jobManagerLog = blocks.find((block) => block.startsWith(`pod flink-fleet-devk8s/${cluster}--jobmanager-`));
    assert.ok(jobManagerLog && jobManagerLog.trimEnd().split('\n').length > 1, `the JobManager's log:\n${clusterLogs.stdout}`);
    const unknown = await cli(['dev', 'logs', 'cluster', 'devk8s--absent', '--dir', dir]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, new RegExp(`no pod of cluster devk8s--absent; the clusters are: .*${cluster}`));

    // Kubernetes heals piece by piece: the API server and the kubelet die, dev up starts those two again
    // on their old arguments, and the worker, the pipeline's pods and its job run on untouched.
    const podIds = async () => (await pipelinePods()).map((p) => p.metadata?.uid).sort();
    const podsBefore = await podIds();
    await killDaemons(stack, ['kube-apiserver', 'kubelet']);
    const broken = await cli(['--json', 'dev', 'status', '--dir', dir]);
    assert.equal(broken.code, 1);
    const brokenPart = (JSON.parse(broken.stdout) as { components: ComponentStatus[] }).components.find((c) => c.component === 'kubernetes');
    assert.deepEqual(brokenPart?.dead, ['kube-apiserver', 'kubelet']);
    assert.ok((brokenPart?.lastLines ?? []).length > 0, 'the end of the API server\'s log');
    const healed = await devUp(dir, ['--kubernetes']);
    assert.deepEqual(healed.restarted, ['kube-apiserver', 'kubelet']);
    assert.deepEqual([healed.workerPid, healed.temporalPid], [stack.workerPid, stack.temporalPid], 'the worker and the server were left alone');
    assert.deepEqual(await podIds(), podsBefore, 'the pipeline\'s pods were left alone');
    const afterHeal = JSON.parse((await cli([...address, '--json', 'pipeline', 'status', ...pipeline])).stdout) as { phase: string; jobId?: string; restarts: number };
    assert.deepEqual([afterHeal.phase, afterHeal.jobId, afterHeal.restarts], ['Running', running.jobId, 0]);
    assert.equal((await devStatus()).running, true);

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

    // The S3 gateway dies: dev up starts it again with its root account (passed outside argv), and it serves the savepoint.
    await killDaemons(healed, [S3_GATEWAY]);
    const gatewayHealed = await devUp(dir, ['--kubernetes']);
    assert.deepEqual(gatewayHealed.restarted, [S3_GATEWAY]);
    const root = JSON.parse(readFileSync(stack.kubernetes.s3.credentialsFile, 'utf8')) as S3Credentials;
    const metadata = new URL(`${stack.kubernetes.s3.endpoint}/fleet/${savepoint[1]}/_metadata`);
    const fetched = await fetch(metadata, { headers: signV4({ method: 'GET', url: metadata }, { ...root, region: 'us-east-1', service: 's3' }, new Date()) });
    assert.equal(fetched.status, 200);
    assert.deepEqual(Buffer.from(await fetched.arrayBuffer()), readFileSync(join(dir, 's3', 'objects', 'fleet', savepoint[1], '_metadata')));

    const down = await cli(['--json', 'dev', 'down', '--dir', dir]);
    assert.equal(down.code, 0, down.stderr);
    // The pool deleted its own session cluster when it stopped: down found no cluster to delete for it.
    assert.deepEqual((JSON.parse(down.stdout) as { deletedClusters: string[] }).deletedClusters, []);
    const daemons = [...stack.kubernetes.daemons, ...(gatewayHealed.kubernetes?.daemons ?? [])];
    for (const pid of [stack.temporalPid, stack.workerPid, stack.codecServer.pid, ...daemons.map((daemon) => daemon.pid)]) assert.equal(isRunning(pid), false, `pid ${pid} stopped`);
    assert.equal(existsSync(`/sys/class/net/${TEST_INTERFACE}`), false, 'the real node put the host back');
    assert.equal(existsSync(join(dir, 'kubernetes')), false, 'the control plane\'s data (every object of the fleet) is gone');
    assert.deepEqual(processesInNewCgroups(hostBefore), [], 'no process of a pod (no Flink JVM, no container) is left');
    assert.deepEqual(readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((line) => line.includes(dir)), [], 'no mount under the dev folder');
    // Sysctls, iptables chains, ip sets, interfaces, mounts, fixed paths and the node's cgroups as before dev up
    // (other helpers on this host make cgroups of their own meanwhile: a sandbox's is not the node's to remove).
    const nodeCgroups = (state: HostState): HostState => ({ ...state, cgroups: state.cgroups.filter((cgroup) => NODE_CGROUP.test(cgroup)) });
    // The folder every containerd shares (a test's private one runs in the other group) is removed by the last to stop, which may be either.
    const othersBefore = otherContainerdRunning();
    const differences = hostStateDifferences(nodeCgroups(hostBefore), nodeCgroups(snapshotHostState(nodeDir)));
    const others = othersAtStart || othersBefore || otherContainerdRunning();
    assert.deepEqual(others ? differences.filter((d) => !/^paths: \/run\/containerd (added|removed)$/.test(d)) : differences, []);
  });});
