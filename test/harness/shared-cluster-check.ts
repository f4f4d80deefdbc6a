import { join } from 'node:path';
import { FlinkRestClient } from '../../activities/flink/rest-client';
import { TERMINAL_JOB_STATES } from '../../activities/flink/rest-types';
import { clusterPaths, isRunning, lastLines, listPids } from '../../activities/runtime/local/processes';
import { waitUntil } from '../../activities/runtime/local/wait';
import type { FlinkTestCluster } from './flink';

/** A cancel is asynchronous: a test that cancelled its job a moment ago is given this long. */
const SETTLE_MS = 15_000;

/** The shared cluster lost a process: the harness replaces the cluster, so one death fails one test. */
export class SharedClusterLostProcesses extends Error {
  override readonly name = 'SharedClusterLostProcesses';
}

/** The last lines a dead Flink process wrote to its stdout: its log, and a JVM's fatal error, end up there. */
function lastWords(clusterDir: string, processName: string): string {
  return lastLines(join(clusterPaths(clusterDir).log, `${processName}.out`), 15);
}

/**
 * The shared session cluster is left as a test found it: every one of its processes alive and no job
 * running, since a job left behind holds a slot the next test's job needs. A job left running is
 * cancelled, so the leak stays this test's. A dead process cannot be mended: the error quotes its last
 * words, and the harness starts a new cluster for the tests after.
 */
export async function assertSharedClusterIdle(cluster: FlinkTestCluster): Promise<void> {
  const dead = [...listPids(cluster.dir)].filter(([, pid]) => !isRunning(pid, cluster.dir));
  if (dead.length > 0) {
    const words = dead.map(([name, pid]) => `${name} (pid ${pid}):\n${lastWords(cluster.dir, name)}`).join('\n');
    throw new SharedClusterLostProcesses(`the shared Flink cluster lost ${dead.map(([name]) => name).join(', ')}; a new one serves the tests after\n${words}`);
  }
  const rest = new FlinkRestClient(cluster.restUrl);
  const running = async (): Promise<string[]> => (await rest.jobs()).filter((j) => !TERMINAL_JOB_STATES.includes(j.state)).map((j) => j.id);
  const left = await waitUntil('the shared cluster to be idle', async () => ((await running()).length === 0 ? [] : undefined), { timeoutMs: SETTLE_MS, intervalMs: 250 })
    .catch(() => running());
  if (left.length === 0) return;
  for (const id of left) await rest.cancelJob(id);
  throw new Error(`jobs left running on the shared Flink cluster (now cancelled): ${left.join(', ')}`);
}
