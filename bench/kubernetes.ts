import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { FlinkRestClient } from '../activities/flink/rest-client';
import { SqlGatewayClient } from '../activities/flink/sql-gateway-client';
import { clusterName, clusterStorageUri } from '../activities/names';
import { applicationClusterSpec } from '../activities/pipeline/cluster-spec';
import type { KubernetesRuntime } from '../activities/runtime/kubernetes/kubernetes-runtime';
import { CLUSTER, COMPONENT, objectNames } from '../activities/runtime/kubernetes/manifests/labels';
import { waitUntil } from '../activities/runtime/local/wait';
import { fleetDataConverter } from '../client/codec/data-converter';
import { newCodecKey, parseCodecKeys } from '../client/codec/keys';
import { ON_REAL_NODE, startKubernetesWithRealNode, TEST_INTERFACE, type KubernetesWithRealNode } from '../client/dev/kubernetes-node';
import { startS3Gateway, type S3Gateway } from '../client/dev/s3-gateway';
import { startTemporalDevServer } from '../client/dev/temporal-dev-server';
import { FleetClient } from '../client/fleet-client';
import { flinkImage } from '../scripts/install/images/flink-image';
import { pauseImage } from '../scripts/install/images/pause';
import { toolchain } from '../scripts/toolchain';
import { liveProcesses, trackProcess } from '../test/harness/processes';
import { realNodeRuntime } from '../test/harness/real-node-flink';
import { createFleetWorker } from '../worker/fleet-worker';
import { parsePipelineSpec, type PipelineSpecInput } from '../workflows/pipeline/spec';
import { FLEET_TENANT, sessionClusterRef } from '../workflows/pool/api';
import { deleteNamespace, plainStartToRunning, proxiedRest, timeTaskManagerRegistrations } from './kubernetes-measure';
import { fleetStartToRunning } from './pipeline-measure';
import { renderKubernetesBench, type KubernetesBenchFigures } from './kubernetes-report';
import { previewFirstRow, rawFirstRow, retire, settled, type PoolBench } from './measure';
import { plainApplicationCluster } from './plain-manifests';
import { writeSection } from './results-file';

/**
 * `npm run bench:kubernetes` (root; one real node per host, so run it under
 * `flock /tmp/flink-fleet-realnode.lock`): on the test bed's real node, a pipeline's start through
 * the fleet against the same cluster from plain manifests, a pool TaskManager's registration, and a
 * warm preview against the raw gateway, in one run; everything it made is gone at its end, or it fails.
 */
const START_ROUNDS = 3;
const PREVIEW_ROUNDS = 5;
const TASK_QUEUE = 'bench-kubernetes';
const TENANT = 'bench';
/** Two cores in all: half a core a pod leaves room for the control plane, the worker and a second TaskManager. */
const HALF = { cpu: 0.5, memoryMb: 1024 };
const JOB = [
  "CREATE TABLE numbers (n BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '20');",
  "CREATE TABLE sink (n BIGINT) WITH ('connector' = 'blackhole');",
  'INSERT INTO sink SELECT n FROM numbers;',
].join('\n');
const log = (line: string): void => {
  process.stderr.write(`[bench:kubernetes ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};

interface Bench {
  readonly k8s: KubernetesWithRealNode;
  readonly s3: S3Gateway;
  readonly runtime: KubernetesRuntime;
  readonly fleet: FleetClient;
}

const pipeline = (name: string): PipelineSpecInput => ({
  tenant: TENANT, name, job: { kind: 'sql', script: JOB }, jobManager: HALF, taskManager: HALF,
  flinkOptions: { 'execution.checkpointing.interval': '2 s' },
});

/** The same pipeline as the runtime would deploy it, as plain manifests in a namespace of its own, started and then deleted. */
async function plainStart({ k8s, s3, runtime }: Bench, name: string): Promise<number> {
  const id = { tenant: TENANT, name, cluster: name, namespace: `bench-${name}` };
  const spec = applicationClusterSpec({ spec: parsePipelineSpec(pipeline(name)), jobId: randomBytes(16).toString('hex') });
  const root = 's3://fleet/state';
  const objects = plainApplicationCluster(id, spec, {
    image: flinkImage(toolchain()).reference, storageUri: clusterStorageUri(root, TENANT, name), storageRoot: root,
    objectStorage: { endpoint: s3.endpoint, credentials: s3.root }, nodes: ON_REAL_NODE,
  });
  await k8s.kubeConfig.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: id.namespace } } });
  try {
    return await plainStartToRunning(k8s.kubeConfig, objects, proxiedRest(k8s.server, id.namespace, objectNames(id.cluster).service, runtime.flinkTransport), spec.jobId);
  } finally {
    await deleteNamespace(k8s.kubeConfig, id.namespace);
  }
}

async function starts(bench: Bench): Promise<{ fleet: number[]; plain: number[] }> {
  const times = { fleet: [] as number[], plain: [] as number[] };
  // The tenant's namespace once, beforehand, as the plain namespaces are made outside the timing; each start still ensures it.
  await bench.runtime.ensureTenant(TENANT);
  for (let i = 1; i <= START_ROUNDS; i++) {
    // Alternating who goes first, so that neither always inherits the other's leftovers (page cache, load).
    for (const kind of i % 2 === 1 ? (['fleet', 'plain'] as const) : (['plain', 'fleet'] as const)) {
      const name = `${kind}-${i}`;
      times[kind].push(kind === 'fleet' ? (await fleetStartToRunning(bench.fleet, pipeline(name))).ms : await plainStart(bench, name));
      log(`round ${i}/${START_ROUNDS} ${kind}: ${Math.round(times[kind].at(-1) ?? 0)} ms to Running`);
    }
  }
  return times;
}

async function poolBench(bench: Bench, pool: string): Promise<PoolBench> {
  const observed = await bench.runtime.observe(sessionClusterRef(pool));
  if (!observed.endpoints?.gatewayUrl) throw new Error(`session cluster of ${pool} has no gateway`);
  const http = { transport: bench.runtime.flinkTransport, timeoutMs: 10_000 };
  return { fleet: bench.fleet, pool, log, rest: new FlinkRestClient(observed.endpoints.restUrl, http), gateway: new SqlGatewayClient(observed.endpoints.gatewayUrl, http) };
}

async function previews(bench: Bench): Promise<{ warm: number[]; raw: number[]; registered: number[] }> {
  const pool = 'bench-pool';
  await bench.fleet.startPool({ sessionCluster: pool, target: 1, maxTarget: 1, maxTaskManagers: 2, jobManager: HALF, taskManager: HALF, reconcileSeconds: 3 });
  // startPool returns before the pool has deployed its session cluster.
  await waitUntil(`session cluster of ${pool}`, async () => ((await bench.runtime.observe(sessionClusterRef(pool))).health === 'running' ? true : undefined),
    { timeoutMs: 600_000, intervalMs: 500 });
  const ctx = await poolBench(bench, pool);
  await settled(ctx, 1);
  const namespace = bench.runtime.namespaceOf(FLEET_TENANT);
  const timer = await timeTaskManagerRegistrations(bench.k8s.kubeConfig, namespace,
    `${CLUSTER}=${clusterName(FLEET_TENANT, pool)},${COMPONENT}=taskmanager`, ctx.rest, log);
  const times = { warm: [] as number[], raw: [] as number[] };
  try {
    // The gateway's and the JobManager's first job loads classes for seconds: not what is measured.
    log(`uncounted first preview: ${Math.round((await previewFirstRow(ctx)).ms)} ms`);
    for (let i = 1; i <= PREVIEW_ROUNDS; i++) {
      for (const kind of i % 2 === 1 ? (['raw', 'warm'] as const) : (['warm', 'raw'] as const)) {
        await settled(ctx, 1);
        if (kind === 'warm') {
          times.warm.push((await previewFirstRow(ctx)).ms);
        } else {
          const { ms, taskManagerIds } = await rawFirstRow(ctx);
          times.raw.push(ms);
          await retire(ctx, taskManagerIds);
        }
        log(`round ${i}/${PREVIEW_ROUNDS} ${kind}: ${Math.round(times[kind].at(-1) ?? 0)} ms to the first row`);
      }
    }
    // The last replacement's registration is a sample too.
    await settled(ctx, 1);
  } finally {
    await timer.stop();
  }
  await bench.fleet.stopPool(pool);
  await bench.k8s.assertNoManagedObjectsLeft([namespace], { selector: `${CLUSTER}=${clusterName(FLEET_TENANT, pool)}`, graceMs: 120_000 });
  return { ...times, registered: timer.samples };
}

/** What the fleet made outside its clusters (the tenants' namespaces and guard rails) goes too; then nothing may be left on the node. */
async function assertNothingLeftOnTheNode(bench: Bench, namespacesBefore: readonly string[]): Promise<void> {
  for (const tenant of [TENANT, FLEET_TENANT]) await deleteNamespace(bench.k8s.kubeConfig, bench.runtime.namespaceOf(tenant));
  const core = bench.k8s.kubeConfig.makeApiClient(CoreV1Api);
  const pods = (await core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${bench.k8s.node.name}` })).items.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`);
  const namespaces = (await core.listNamespace()).items.map((n) => n.metadata?.name ?? '').filter((n) => !namespacesBefore.includes(n));
  if (pods.length > 0 || namespaces.length > 0) throw new Error(`the bench left pods (${pods.join(', ') || 'none'}) and namespaces (${namespaces.join(', ') || 'none'})`);
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'flink-fleet-bench-kubernetes-'));
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const loadAtStart = loadavg()[0] ?? 0;
  const server = await startTemporalDevServer({ binary: toolchain().temporalBinary, stateDir: join(root, 'temporal') });
  trackProcess(server.pid, 'Temporal dev server', 'run');
  let k8s: KubernetesWithRealNode | undefined;
  let s3: S3Gateway | undefined;
  let figures: Omit<KubernetesBenchFigures, 'loadAverage'>;
  try {
    k8s = await startKubernetesWithRealNode({ sandboxImage: pauseImage(toolchain()), dataDir: join(root, 'kubernetes'), log });
    for (const pid of k8s.pids()) trackProcess(pid, 'Kubernetes test bed', 'run');
    await k8s.node.importImage(flinkImage(toolchain()).archive);
    s3 = await startS3Gateway({ dataDir: join(root, 's3'), host: k8s.node.address, buckets: ['fleet'] });
    trackProcess(s3.pid, 'S3 gateway', 'run');
    const namespacesBefore = (await k8s.kubeConfig.makeApiClient(CoreV1Api).listNamespace()).items.map((n) => n.metadata?.name ?? '');
    const runtime = realNodeRuntime({ k8s, s3 });
    // Encrypted as in production, so that the figures include the codec's cost.
    const codecKeys = parseCodecKeys(newCodecKey('bench'), 'the bench\'s key');
    const connection = await NativeConnection.connect({ address: server.address });
    const fleet = new FleetClient(new Client({ connection: await Connection.connect({ address: server.address }), dataConverter: fleetDataConverter(codecKeys) }), TASK_QUEUE);
    const worker = await createFleetWorker({ connection, namespace: 'default', taskQueue: TASK_QUEUE, runtime, codecKeys });
    const bench: Bench = { k8s, s3, runtime, fleet };
    const measured = await worker.runUntil(async () => ({ starts: await starts(bench), previews: await previews(bench) }));
    await assertNothingLeftOnTheNode(bench, namespacesBefore);
    await fleet.close();
    await connection.close();
    figures = {
      date: new Date().toISOString().slice(0, 10), machine: `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GB`,
      startRounds: START_ROUNDS, fleetStartMs: measured.starts.fleet, plainStartMs: measured.starts.plain,
      previewRounds: PREVIEW_ROUNDS, warmPreviewMs: measured.previews.warm, rawGatewayMs: measured.previews.raw, taskManagerRegisteredMs: measured.previews.registered,
    };
  } finally {
    await s3?.stop();
    await k8s?.stop();
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  }
  const left = liveProcesses('run').map((p) => `${p.pid} (${p.description})`);
  if (left.length > 0 || existsSync(`/sys/class/net/${TEST_INTERFACE}`)) {
    throw new Error(`the bench left processes (${left.join(', ') || 'none'})${existsSync(`/sys/class/net/${TEST_INTERFACE}`) ? ` and the interface ${TEST_INTERFACE}` : ''}`);
  }
  const file = join(__dirname, 'RESULTS.md');
  writeSection(file, 'kubernetes', renderKubernetesBench({ ...figures, loadAverage: [loadAtStart, loadavg()[0] ?? 0] }));
  log(`wrote ${file}`);
}

main().then(() => process.exit(0), (error: unknown) => {
  process.stderr.write(`bench:kubernetes failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
