import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { isRunning } from '../../activities/runtime/local/processes';
import { assertNoLeakedProcesses, LeakedProcesses } from '../harness/leak-check';
import { trackProcess } from '../harness/processes';

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
