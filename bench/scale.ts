import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { freePort } from '../activities/runtime/local/ports';
import { killProcessNow, statFields, stopProcess } from '../activities/runtime/local/processes';
import { waitUntil } from '../activities/runtime/local/wait';
import { fleetDataConverter } from '../client/codec/data-converter';
import { newCodecKey, parseCodecKeys } from '../client/codec/keys';
import { startKubernetes } from '../client/dev/kubernetes-control-plane';
import { startTemporalServer } from '../client/dev/temporal-server';
import { FleetClient } from '../client/fleet-client';
import { writeWorkflowBundle } from '../scripts/bundle-workflows';
import { toolchain } from '../scripts/toolchain';
import { parsePrometheusText } from '../test/harness/prometheus';
import { DATAGEN_TO_BLACKHOLE } from '../test/pipeline/fixtures';
import { writeSection } from './results-file';
import { FlinkRestLoadGenerator } from './scale-flink-rest';
import {
  addKwokNodes, applyWorkerPolicy, jobIdFromDeployments, managedClusterObjectsLeft, startFrontProxy, workerKubeconfig, workerRequestsDispatched,
} from './scale-kubernetes';
import { renderScale, type ScaleFigures } from './scale-report';
import { onInterrupt } from './interrupt';
import { rssMb, startWorkerProcess } from './worker-process';

/**
 * `npm run bench:scale`: N pipelines (`-- --pipelines N`, default 1000) on one worker, the kubernetes
 * runtime on kwok nodes and the production Temporal server; start latency, the steady footprint
 * (`--steady S` seconds), the Kubernetes requests of a start and a stop, then N stops and nothing left.
 * Writes the scale section of bench/RESULTS.md. Not part of `npm test`.
 */
const { values: args } = parseArgs({
  options: { pipelines: { type: 'string', default: '1000' }, steady: { type: 'string', default: '300' }, concurrency: { type: 'string', default: '20' } },
});
const PIPELINES = Number(args.pipelines);
const STEADY_SECONDS = Number(args.steady);
const CONCURRENCY = Number(args.concurrency);
/**
 * Two pods per pipeline by the spec's defaults, each asking 1 CPU, 1 GiB and 3 GiB of local disk: the
 * default plan's 128 GiB of disk fitted 20 pipelines per tenant, and a 100-pipeline run waited on the
 * quota for good. A plan with room to spare.
 */
const PER_TENANT = 25;
const TENANT_PLAN = { cpu: 128, memoryMb: 256 * 1024, ephemeralStorageMb: 512 * 1024, pods: 128 };
/** A phase whose count has not moved for this long is stuck (a quota, a dead worker): fail, do not wait out the phase. */
const STALL_MS = 5 * 60_000;
const RUNNING_AFTER_MS = 3_000;
const TASK_QUEUE = 'bench-scale';
const NAMESPACE = 'fleet-scale';
const PHASE_TIMEOUT_MS = 90 * 60_000;

const log = (line: string): void => {
  process.stderr.write(`[bench:scale ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};

/** Runs `work` on every item, at most `limit` at a time. */
async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++] as T);
  }));
}

/** User + system CPU seconds of a process so far (clock ticks of 1/100 s, as on Linux). */
function cpuSeconds(pid: number): number {
  const fields = statFields(pid);
  if (!fields) throw new Error(`process ${pid} is gone: the worker died during the run`);
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

type Samples = ReturnType<typeof parsePrometheusText>;

async function workerMetrics(metricsUrl: string): Promise<Samples> {
  return parsePrometheusText(await (await fetch(metricsUrl)).text());
}

/** The workflows the worker keeps cached (the SDK's sticky cache gauge). */
function cachedWorkflows(samples: Samples): number {
  return samples.filter((sample) => sample.name === 'temporal_sticky_cache_size').reduce((sum, sample) => sum + sample.value, 0);
}

/** The worker's RPCs to Temporal so far by operation, from the SDK's own counters (long polls included). */
function temporalRequests(samples: Samples): Map<string, number> {
  const byOperation = new Map<string, number>();
  for (const sample of samples) {
    if (!/^temporal_(long_)?request(_total)?$/.test(sample.name)) continue;
    const operation = sample.labels.operation ?? '?';
    byOperation.set(operation, (byOperation.get(operation) ?? 0) + sample.value);
  }
  return byOperation;
}

/** Per second, by key, between two readings of cumulative counts. */
function ratesBetween(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>, seconds: number): Map<string, number> {
  return new Map([...after].map(([key, count]) => [key, (count - (before.get(key) ?? 0)) / seconds]));
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'flink-fleet-bench-scale-'));
  const tools = toolchain();
  const tenants = Math.ceil(PIPELINES / PER_TENANT);
  const refs = Array.from({ length: PIPELINES }, (_, i) => ({ tenant: `scale-${String(i % tenants).padStart(3, '0')}`, name: `p-${i}` }));
  const cleanUps: Array<() => Promise<void>> = [];
  const pids: Array<() => number[]> = [];
  const folders = [root];
  // The servers run detached: an interrupted bench kills them itself, at once, and the worker gets
  // its SIGTERM on exit (worker-process.ts).
  onInterrupt(() => {
    for (const pid of pids.flatMap((of) => of())) killProcessNow(pid);
    for (const folder of folders) rmSync(folder, { recursive: true, force: true, maxRetries: 3 });
  });
  try {
    log('starting the production Temporal server and the control plane');
    const temporal = await startTemporalServer({ binDir: tools.temporalServerBin, schemaDir: tools.temporalServerSchema, stateDir: join(root, 'temporal'), namespace: NAMESPACE });
    cleanUps.push(() => temporal.stop());
    pids.push(() => temporal.pids());
    folders.push(temporal.postgresDir);
    const bed = await startKubernetes({ dataDir: join(root, 'kubernetes'), log });
    cleanUps.push(() => bed.stop());
    pids.push(() => bed.pids());
    await addKwokNodes(bed.kubeConfig, Math.ceil((2 * PIPELINES) / 900) + 1);
    await applyWorkerPolicy(bed.kubeConfig);
    const generator = new FlinkRestLoadGenerator(jobIdFromDeployments(bed.kubeConfig), RUNNING_AFTER_MS);
    const proxy = await startFrontProxy(bed, generator);
    cleanUps.push(() => new Promise((resolve) => proxy.server.close(() => resolve())));

    const codecKey = newCodecKey('bench-scale');
    const metricsPort = await freePort();
    const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    // As the image runs it: webpack bundling at start would count in the worker's memory.
    const bundle = join(root, 'workflow-bundle.js');
    await writeWorkflowBundle(bundle);
    const workerPid = startWorkerProcess(root, {
      address: temporal.address, taskQueue: TASK_QUEUE, codecKeys: codecKey,
      env: {
        TEMPORAL_NAMESPACE: NAMESPACE, FLEET_RUNTIME: 'kubernetes', FLEET_KUBECONFIG: workerKubeconfig(bed, proxy.url, join(root, 'worker.kubeconfig')),
        FLEET_STORAGE_URI: 's3://bench-scale/fleet', FLEET_TENANT_PLAN: JSON.stringify(TENANT_PLAN),
        // Every running pipeline holds a slot for its watch: the starts need theirs besides.
        FLEET_MAX_CONCURRENT_ACTIVITIES: String(PIPELINES + 100), FLEET_METRICS_PORT: String(metricsPort), FLEET_WORKFLOW_BUNDLE: bundle,
      },
    });
    cleanUps.push(() => stopProcess(workerPid, 30_000));
    const connection = await Connection.connect({ address: temporal.address });
    cleanUps.push(() => connection.close());
    const client = new Client({ connection, namespace: NAMESPACE, dataConverter: fleetDataConverter(parseCodecKeys(codecKey, 'the bench key')) });
    const fleet = new FleetClient(client, TASK_QUEUE);
    await waitUntil('the worker\'s metrics', async () => (await fetch(metricsUrl).then((r) => r.ok, () => false)) || undefined, { timeoutMs: 120_000, intervalMs: 1_000, logFile: join(root, 'worker.log') });
    // Settled after its start (the SQL inspector's warm-up, the janitor's first run) and before any pipeline.
    await sleep(20_000);
    const idleWorkerRssMb = rssMb(workerPid) ?? 0;

    const count = async (query: string): Promise<number> => (await client.workflow.count(query)).count;
    const progress = async (what: string, query: string, done: (n: number) => boolean): Promise<void> => {
      let last = -1;
      let movedAt = Date.now();
      await waitUntil(what, async () => {
        const n = await count(query);
        if (n !== last) {
          log(`${what}: ${n} of ${PIPELINES}`);
          movedAt = Date.now();
        }
        last = n;
        return done(n) || undefined;
      }, {
        timeoutMs: PHASE_TIMEOUT_MS, intervalMs: 5_000, logFile: join(root, 'worker.log'),
        hopeless: () => {
          if (rssMb(workerPid) === undefined) return `cannot finish: the worker died at ${last} of ${PIPELINES}`;
          return Date.now() - movedAt > STALL_MS ? `stalled at ${last} of ${PIPELINES} for ${STALL_MS / 60_000} minutes (a tenant's quota?)` : undefined;
        },
      });
    };

    log(`starting ${PIPELINES} pipelines of ${tenants} tenants, ${CONCURRENCY} at a time`);
    const k8sBeforeStart = await workerRequestsDispatched(bed.kubeConfig, bed.server);
    const startedAt = Date.now();
    await eachLimited(refs, CONCURRENCY, async ({ tenant, name }) => {
      await fleet.startPipeline({ tenant, name, job: { kind: 'sql', script: DATAGEN_TO_BLACKHOLE } });
    });
    await progress('pipelines Running', 'FleetKind="pipeline" AND FleetJobState="Running"', (n) => n >= PIPELINES);
    const allRunningMs = Date.now() - startedAt;
    const k8sStart = (await workerRequestsDispatched(bed.kubeConfig, bed.server)) - k8sBeforeStart;

    log(`steady for ${STEADY_SECONDS} s`);
    // Let the last starts' garbage and the janitor's first run pass before measuring.
    await sleep(30_000);
    const sampled = refs.filter((_, i) => i % Math.max(1, Math.floor(PIPELINES / 20)) === 0);
    const historyLength = async (): Promise<number> => {
      let total = 0;
      for (const ref of sampled) total += (await client.workflow.getHandle(`pipeline/${ref.tenant}/${ref.name}`).describe()).historyLength;
      return total;
    };
    const before = { at: Date.now(), cpu: cpuSeconds(workerPid), temporal: temporalRequests(await workerMetrics(metricsUrl)), k8s: await workerRequestsDispatched(bed.kubeConfig, bed.server),
      rest: generator.total, history: await historyLength() };
    const rss: number[] = [];
    while (Date.now() - before.at < STEADY_SECONDS * 1_000) {
      rss.push(rssMb(workerPid) ?? 0);
      await sleep(5_000);
    }
    const metricsAfter = await workerMetrics(metricsUrl);
    const after = { at: Date.now(), cpu: cpuSeconds(workerPid), temporal: temporalRequests(metricsAfter), k8s: await workerRequestsDispatched(bed.kubeConfig, bed.server),
      rest: generator.total, history: await historyLength() };
    const window = (after.at - before.at) / 1_000;
    const steady: ScaleFigures['steady'] = {
      seconds: Math.round(window), workerRssMb: [...rss].sort((a, b) => a - b)[Math.floor(rss.length / 2)] ?? 0, idleWorkerRssMb,
      cachedWorkflows: cachedWorkflows(metricsAfter), workerCores: (after.cpu - before.cpu) / window,
      temporalRequestsPerSecond: ratesBetween(before.temporal, after.temporal, window), kubernetesRequestsPerSecond: (after.k8s - before.k8s) / window,
      restPollsPerSecond: (after.rest - before.rest) / window, historyEventsPerPipelinePerDay: ((after.history - before.history) / sampled.length) * (86_400 / window),
    };
    // Logged now as well: a run that fails in its stops still tells what the steady state cost.
    const temporalTotal = [...steady.temporalRequestsPerSecond.values()].reduce((sum, rate) => sum + rate, 0);
    log(`steady: RSS ${steady.workerRssMb} MB (median; ${Math.max(...rss)} MB at most, ${idleWorkerRssMb} MB before the first pipeline), ${steady.workerCores.toFixed(2)} cores, `
      + `${temporalTotal.toFixed(1)} Temporal and ${steady.kubernetesRequestsPerSecond.toFixed(2)} Kubernetes requests and ${steady.restPollsPerSecond.toFixed(1)} REST polls a second, `
      + `${steady.cachedWorkflows} workflows cached`);

    log('reading start latencies from the histories');
    const startLatencyMs: number[] = [];
    await eachLimited(refs, CONCURRENCY, async ({ tenant, name }) => {
      const history = await client.workflow.getHandle(`pipeline/${tenant}/${name}`).fetchHistory();
      const events = history.events ?? [];
      const started = events[0]?.eventTime;
      const awaitScheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'awaitJobRunning')?.eventId;
      const running = events.find((e) => awaitScheduled !== undefined && String(e.activityTaskCompletedEventAttributes?.scheduledEventId) === String(awaitScheduled));
      const ms = (t: typeof started): number => Number(t?.seconds ?? 0) * 1_000 + Math.floor((t?.nanos ?? 0) / 1e6);
      if (started && running?.eventTime) startLatencyMs.push(ms(running.eventTime) - ms(started));
    });

    log(`stopping ${PIPELINES} pipelines`);
    const k8sBeforeStop = await workerRequestsDispatched(bed.kubeConfig, bed.server);
    const stopAt = Date.now();
    await eachLimited(refs, CONCURRENCY, async ({ tenant, name }) => {
      await fleet.stopPipeline(tenant, name, { savepoint: false, drain: false });
    });
    await progress('pipelines still open', 'FleetKind="pipeline" AND ExecutionStatus="Running"', (n) => n === 0);
    const allStoppedMs = Date.now() - stopAt;
    const k8sStop = (await workerRequestsDispatched(bed.kubeConfig, bed.server)) - k8sBeforeStop;
    const left = await managedClusterObjectsLeft(bed.kubeConfig);

    const figures: ScaleFigures = {
      date: new Date().toISOString().slice(0, 10), machine: `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GB`,
      pipelines: PIPELINES, tenants, runningAfterMs: RUNNING_AFTER_MS, startLatencyMs, allRunningMs,
      steady,
      kubernetesRequestsPerPipeline: { start: k8sStart / PIPELINES, stop: k8sStop / PIPELINES }, allStoppedMs, left, restEndpoints: generator.requests,
    };
    const report = renderScale(figures);
    process.stdout.write(`${report}\n`);
    writeSection(join(__dirname, 'RESULTS.md'), 'scale', report);
    if (left.length > 0) process.exitCode = 1;
  } finally {
    for (const cleanUp of cleanUps.reverse()) await cleanUp().catch((error: unknown) => log(`clean-up: ${String(error)}`));
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
