import { startFlinkCluster, type FlinkTestCluster } from './flink';
import { assertNoLeakedProcesses } from './leak-check';
import { startKubernetes, type KubernetesTestBed } from '../../client/dev/kubernetes-control-plane';
import { liveProcesses, markRunWide, markRunWideDir, trackProcess, watchFlinkProcessesUnder } from './processes';
import { removeTestRunRoot, testRunRoot } from './state';
import { startTemporal, type TemporalTestBed } from './temporal';

/**
 * Run-wide components, started once (mocha global fixtures) because they take seconds to start and
 * most test files need them: the Temporal dev server with the workflow bundle, and a lazily started
 * shared Flink session cluster with the SQL Gateway.
 */
let temporal: TemporalTestBed | undefined;
let sharedFlink: Promise<FlinkTestCluster> | undefined;
let kubernetes: Promise<KubernetesTestBed> | undefined;

export function temporalTestBed(): TemporalTestBed {
  if (!temporal) throw new Error('the Temporal test bed is started by the mocha global setup (test/harness/global.ts)');
  return temporal;
}

/** A JobManager with two single-slot TaskManagers and the SQL Gateway, for tests that only read. */
export function sharedFlinkCluster(): Promise<FlinkTestCluster> {
  sharedFlink ??= startFlinkCluster({ taskManagers: 2 }).then((cluster) => {
    markRunWideDir(cluster.dir);
    return cluster;
  });
  return sharedFlink;
}

/** The real control plane (etcd, kube-apiserver, controller-manager, scheduler, kwok), started on first use. */
export function kubernetesTestBed(): Promise<KubernetesTestBed> {
  kubernetes ??= startKubernetes().then((testBed) => {
    for (const pid of testBed.pids()) {
      trackProcess(pid, `kubernetes control plane process in ${testBed.dataDir}`);
      markRunWide(pid);
    }
    return testBed;
  });
  return kubernetes;
}

export async function mochaGlobalSetup(): Promise<void> {
  watchFlinkProcessesUnder(testRunRoot());
  temporal = await startTemporal();
}

export async function mochaGlobalTeardown(): Promise<void> {
  if (sharedFlink) await (await sharedFlink).stop();
  if (kubernetes) await (await kubernetes.catch(() => undefined))?.stop();
  await temporal?.stop();
  await assertNoLeakedProcesses({ includeRunWide: true }).catch((error: Error) => {
    process.stderr.write(`leak check at the end of the run failed: ${error.message}\n`);
    process.exitCode = 1;
  });
  removeTestRunRoot();
}

let startedBefore = new Set<number>();
let testsRun = 0;

export const mochaHooks = {
  beforeEach(): void {
    startedBefore = new Set(liveProcesses({ includeRunWide: false }).map((p) => p.pid));
  },
  async afterEach(): Promise<void> {
    testsRun += 1;
    await assertNoLeakedProcesses({ startedBefore });
  },
  afterAll(): void {
    // `npm test` must not pass when a filter or a broken glob ran nothing.
    if (testsRun === 0) throw new Error('no test ran');
  },
};
