import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { isRunning, startFlinkProcess } from '../../activities/runtime/local/processes';
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
  it('finds a Flink JVM nobody registered by its FLINK_CONF_DIR under the run folder', async () => {
    const clusterDir = join(newStateDir('leak-check'), 'cluster');
    const started = startFlinkProcess({ flinkHome: toolchain().flinkHome, clusterDir, role: 'jobmanager', name: 'orphan' });
    await assert.rejects(assertNoLeakedProcesses(), (error: unknown) => {
      assert.ok(error instanceof LeakedProcesses);
      assert.ok(error.leaked.some((p) => p.pid === started.pid && p.description.includes(clusterDir)), error.message);
      return true;
    });
    assert.equal(isRunning(started.pid), false);
  });
});
