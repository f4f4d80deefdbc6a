import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { isRunning, stopProcess } from '../../activities/runtime/local/processes';
import { waitUntil } from '../../activities/runtime/local/wait';
import { temporalTestBed } from '../harness/global';
import { newStateDir } from '../harness/state';

describe('a bench\'s detached worker', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`ends when the bench that started it gets ${signal}`, async () => {
      const owner = spawn(process.execPath, ['--require', 'tsx/cjs', join(__dirname, 'bench-owner.ts'), temporalTestBed().server.address, `bench-owner-${signal}`], {
        stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, FLEET_OWNER_DIR: newStateDir('bench-owner') },
      });
      let worker = 0;
      try {
        const [line] = await once(owner.stdout, 'data') as [Buffer];
        worker = Number(line.toString().trim());
        assert.ok(worker > 0 && isRunning(worker), `the bench's worker runs: ${line.toString()}`);
        const ownerExit = once(owner, 'exit');
        owner.kill(signal);
        const [code] = await ownerExit as [number | null];
        await waitUntil(`worker ${worker} to exit after its bench got ${signal}`, async () => (isRunning(worker) ? undefined : true), { timeoutMs: 30_000, intervalMs: 200 });
        assert.equal(code, signal === 'SIGINT' ? 130 : 143, 'the bench exits as a signalled process would');
      } finally {
        owner.kill('SIGKILL');
        if (worker > 0 && isRunning(worker)) await stopProcess(worker, 10_000);
      }
    });
  }
});
