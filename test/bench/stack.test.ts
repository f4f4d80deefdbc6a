import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { isRunning, stopProcess } from '../../activities/runtime/local/processes';
import { waitUntil } from '../../activities/runtime/local/wait';

describe('a bench\'s own stack', () => {
  it('ends its Temporal server and Flink JVMs, and removes its folder, when the bench is interrupted', async function () {
    this.timeout(300_000);
    const owner = spawn(process.execPath, ['--require', 'tsx/cjs', join(__dirname, 'stack-owner.ts')], { stdio: ['ignore', 'pipe', 'inherit'] });
    let started: { root: string; server: number; flink: number[] } | undefined;
    try {
      const [line] = await once(createInterface({ input: owner.stdout }), 'line') as [string];
      started = JSON.parse(line) as { root: string; server: number; flink: number[] };
      assert.equal(started.flink.length, 2, `a JobManager and a SQL Gateway: ${line}`);
      for (const pid of [started.server, ...started.flink]) assert.ok(isRunning(pid), `${pid} runs before the interrupt`);
      const exited = once(owner, 'exit');
      owner.kill('SIGINT');
      assert.equal((await exited as [number | null])[0], 130);
      const { server, flink } = started;
      await waitUntil('the stack\'s processes to end', async () => ([server, ...flink].some((pid) => isRunning(pid)) ? undefined : true), { timeoutMs: 10_000, intervalMs: 100 });
      assert.equal(existsSync(started.root), false, `${started.root} is removed`);
    } finally {
      owner.kill('SIGKILL');
      for (const pid of [started?.server ?? 0, ...(started?.flink ?? [])]) if (pid > 0 && isRunning(pid)) await stopProcess(pid, 5_000);
    }
  });
});
