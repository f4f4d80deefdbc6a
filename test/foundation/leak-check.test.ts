import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isRunning, processGroupMembers, startFlinkProcess, stopProcess } from '../../activities/runtime/local/processes';
import { waitUntil } from '../../activities/runtime/local/wait';
import { toolchain } from '../../scripts/toolchain';
import { assertNoLeakedProcesses, LeakedProcesses } from '../harness/leak-check';
import { trackProcess } from '../harness/processes';
import { newStateDir } from '../harness/state';

describe('the leak check', () => {
  it('fails when a test leaves a process it started running, and kills that process', async () => {
    const leaked = spawn('sleep', ['300'], { stdio: 'ignore' });
    assert.ok(leaked.pid);
    trackProcess(leaked.pid, 'a deliberately leaked sleep');
    await assert.rejects(assertNoLeakedProcesses(), (error: unknown) => {
      assert.ok(error instanceof LeakedProcesses);
      assert.match(error.message, new RegExp(`a deliberately leaked sleep \\(pid ${leaked.pid}\\)`));
      return true;
    });
    assert.equal(isRunning(leaked.pid), false, 'the leaked process should have been killed');
  });

  it('passes when every process the test started has ended', async () => {
    const done = spawn('true', [], { stdio: 'ignore' });
    assert.ok(done.pid);
    trackProcess(done.pid, 'a process that exits at once');
    await new Promise((resolve) => done.once('exit', resolve));
    await assertNoLeakedProcesses();
  });
});

describe('the leak check on Flink processes', () => {
  it('finds a Flink JVM nobody registered by its FLINK_CONF_DIR under the run folder, and stops its whole process group', async () => {
    const clusterDir = join(newStateDir('leak-check'), 'cluster');
    // Checked at once, while the launcher script is still forking subshells and exec'ing the JVM:
    // killing the launcher's pid alone let the JVM come up afterwards.
    const started = await startFlinkProcess({ flinkHome: toolchain().flinkHome, clusterDir, role: 'jobmanager', name: 'orphan', launcher: 'flink-scripts' });
    await assert.rejects(assertNoLeakedProcesses(), (error: unknown) => {
      assert.ok(error instanceof LeakedProcesses);
      assert.ok(error.leaked.some((p) => p.pid === started.pid && p.description.includes(clusterDir)), error.message);
      return true;
    });
    assert.deepEqual(processGroupMembers(started.pid), [], 'no process of the launcher\'s group is left');
    await sleep(2_000);
    await assertNoLeakedProcesses();
  });

  it('stops a launcher together with the children it is running, not the launcher\'s pid alone', async () => {
    const clusterDir = join(newStateDir('leak-check'), 'cluster');
    const started = await startFlinkProcess({ flinkHome: toolchain().flinkHome, clusterDir, role: 'jobmanager', name: 'launching', launcher: 'flink-scripts' });
    // jobmanager.sh runs a JVM of its own (BashJavaUtils) to size memory before it execs the JobManager.
    const runsJava = (pid: number): boolean => pid !== started.pid && /^\S*java\0/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
    await waitUntil('the launcher to run its BashJavaUtils JVM', async () => (processGroupMembers(started.pid).some(runsJava) ? true : undefined), { timeoutMs: 20_000, intervalMs: 10 });
    await stopProcess(started.pid, 2_000);
    assert.deepEqual(processGroupMembers(started.pid), []);
  });
});
