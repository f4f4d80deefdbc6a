import type Mocha from 'mocha';
import { startFlinkCluster, type FlinkTestCluster } from './flink';
import { stopLeftWorkers } from './in-process-workers';
import { assertNoLeakedProcesses } from './leak-check';
import { startKubernetesWithRealNode, type KubernetesWithRealNode } from '../../client/dev/kubernetes-node';
import { pauseImage, type CachedImage } from '../../scripts/install/images/pause';
import { toolchain } from '../../scripts/toolchain';
import { endFileScope, liveProcesses, trackProcess, watchFlinkProcessesUnder } from './processes';
import { assertSharedClusterIdle, SharedClusterLostProcesses } from './shared-cluster-check';
import { removeTestRunRoot, testRunRoot } from './state';
import { startTemporal, type TemporalTestBed } from './temporal';
import { stopProductionTemporal } from './production-temporal';

/**
 * Run-wide components, started once (mocha global fixtures) because they take seconds to start and
 * most test files need them: the Temporal dev server with the workflow bundle, and a lazily started
 * shared Flink session cluster with the SQL Gateway.
 */
let temporal: TemporalTestBed | undefined;
let sharedFlink: Promise<FlinkTestCluster> | undefined;
let kubernetes: Promise<KubernetesWithRealNode> | undefined;

export function temporalTestBed(): TemporalTestBed {
  if (!temporal) throw new Error('the Temporal test bed is started by the mocha global setup (test/harness/global.ts)');
  return temporal;
}

/** A JobManager with two single-slot TaskManagers and the SQL Gateway, for tests that only read. */
export function sharedFlinkCluster(): Promise<FlinkTestCluster> {
  sharedFlink ??= startFlinkCluster({ taskManagers: 2, scope: 'run' });
  return sharedFlink;
}

/** Another test run on this machine may hold the one real node a host has: wait for it, rather than fail. */
const WAIT_FOR_HOST_MS = 60 * 60_000;

/**
 * The real control plane (etcd, kube-apiserver, controller-manager, scheduler, kwok nodes) and one
 * real node (containerd, kubelet, kube-proxy, CoreDNS), started together on first use: the control
 * plane must know at start that a real node will join. Pods reach the real node only by selecting it
 * (REAL_NODE_SELECTOR, REAL_NODE_TOLERATION), so tests written for kwok are unaffected.
 */
export function kubernetesTestBed(): Promise<KubernetesWithRealNode> {
  kubernetes ??= startKubernetesWithRealNode({ sandboxImage: pauseImage(toolchain()), waitForHostMs: WAIT_FOR_HOST_MS }).then((testBed) => {
    for (const pid of testBed.pids()) trackProcess(pid, `kubernetes test bed process in ${testBed.dataDir}`, 'run');
    return testBed;
  });
  return kubernetes;
}

const imported = new Map<string, Promise<void>>();

/**
 * The test bed, with `image` (e.g. flinkImage(toolchain())) imported into its real node's containerd
 * once per run: a pod then runs it with imagePullPolicy IfNotPresent, as there is no registry.
 */
export async function kubernetesTestBedWithImage(image: CachedImage): Promise<KubernetesWithRealNode> {
  const testBed = await kubernetesTestBed();
  const key = `${testBed.node.dir} ${image.reference}`;
  let done = imported.get(key);
  if (!done) {
    done = testBed.node.images().includes(image.reference) ? Promise.resolve() : testBed.node.importImage(image.archive);
    imported.set(key, done);
  }
  await done;
  return testBed;
}

/** Stops the run's test bed now (a later kubernetesTestBed() starts a new one): for a test that needs the host to itself. */
export async function stopKubernetesTestBed(): Promise<void> {
  const k8s = kubernetes;
  kubernetes = undefined;
  if (k8s) await (await k8s.catch(() => undefined))?.stop();
}

/** Stops every shared component; safe to call twice (the end-of-run hook, then the global teardown). */
async function stopSharedComponents(): Promise<void> {
  const [flink, k8s, server] = [sharedFlink, kubernetes, temporal];
  sharedFlink = undefined;
  kubernetes = undefined;
  temporal = undefined;
  if (flink) await (await flink.catch(() => undefined))?.stop();
  if (k8s) await (await k8s.catch(() => undefined))?.stop();
  await stopProductionTemporal();
  await server?.stop();
}

export async function mochaGlobalSetup(): Promise<void> {
  watchFlinkProcessesUnder(testRunRoot());
  temporal = await startTemporal();
  trackProcess(temporal.server.pid, `Temporal dev server at ${temporal.server.address}`, 'run');
  // Every process a test starts (worker processes, the CLI) inherits the run's payload key, as a
  // deployment would hand it to each; inline keys from the calling shell would conflict with it.
  delete process.env.FLEET_CODEC_KEYS;
  process.env.FLEET_CODEC_KEY_FILE = temporal.codecKeyFile;
}

/**
 * A safety net only: mocha's `exit: true` overwrites any exit code set here, so the end-of-run
 * judgement is the root `afterAll` hook below, whose failure counts. This runs even when a filter
 * matched nothing and the root hooks never ran.
 */
export async function mochaGlobalTeardown(): Promise<void> {
  await stopSharedComponents();
  await assertNoLeakedProcesses({ scope: 'run' }).catch((error: Error) => process.stderr.write(`${error.message}\n`));
  removeTestRunRoot();
}

let startedBefore = new Set<number>();
let testsRun = 0;

/** A file's own leftovers (a pool shared by its tests) fail the file's last hook, not the run. */
async function checkFileScope(): Promise<void> {
  try {
    const workers = await stopLeftWorkers('file');
    try {
      await assertNoLeakedProcesses({ scope: 'file' });
    } catch (error) {
      if (workers.length === 0) throw error;
      workers.push((error as Error).message);
    }
    if (workers.length > 0) throw new Error(`the file left running: ${workers.join('; ')}`);
  } finally {
    endFileScope();
  }
}

/**
 * The shared cluster as the next test should find it. One that failed to start (the test that asked
 * for it failed on that) or lost a process is dropped, so the next test that asks starts a new one:
 * one broken cluster fails one test, not every test after it.
 */
async function checkSharedCluster(): Promise<string | undefined> {
  const starting = sharedFlink;
  if (!starting) return undefined;
  const cluster = await starting.catch(() => undefined);
  try {
    if (cluster) await assertSharedClusterIdle(cluster);
    else sharedFlink = undefined;
    return undefined;
  } catch (error) {
    if (error instanceof SharedClusterLostProcesses) {
      sharedFlink = undefined;
      await cluster?.stop();
    }
    return (error as Error).message;
  }
}

/** Leaks found after a test: processes it started and left, and jobs it left on the shared cluster. */
async function leaksOfTest(): Promise<Error | undefined> {
  // Workers first: one left running would start the processes the check below kills again.
  const problems = (await stopLeftWorkers('test')).map((w) => `left running: ${w}`);
  await assertNoLeakedProcesses({ startedBefore }).catch((error: Error) => problems.push(error.message));
  const shared = await checkSharedCluster();
  if (shared) problems.push(shared);
  return problems.length > 0 ? new Error(`the test leaked: ${problems.join('; ')}`) : undefined;
}

export const mochaHooks = {
  beforeAll(this: Mocha.Context): void {
    for (const file of this.test?.parent?.suites ?? []) file.afterAll('leak check of the file', checkFileScope);
  },
  beforeEach(): void {
    startedBefore = new Set(liveProcesses('test').map((p) => p.pid));
  },
  /**
   * A leak fails the test that caused it, and the run goes on: a root afterEach hook that throws
   * would make mocha skip every remaining test of the run, so the error is handed to the test.
   */
  async afterEach(this: Mocha.Context): Promise<void> {
    testsRun += 1;
    const leak = await leaksOfTest();
    if (leak) (this.test as Mocha.Hook).error(leak);
  },
  /** The end of the run: the shared components are stopped and must leave nothing behind. */
  async afterAll(): Promise<void> {
    await stopSharedComponents();
    await assertNoLeakedProcesses({ scope: 'run' });
    if (testsRun === 0) throw new Error('no test ran');
  },
};
