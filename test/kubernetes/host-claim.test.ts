import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRunning } from '../../activities/runtime/local/processes';
import { claimHost, HostTaken, readClaim, releaseClaim, type HostClaim } from '../../client/dev/node/host-claim';
import { newStateDir } from '../harness/state';

/** A pid no process has: a child that has exited and been reaped. */
function deadPid(): number {
  const child = spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' });
  const pid = Number(child.stdout.trim());
  assert.equal(isRunning(pid), false);
  return pid;
}

describe('one real node per host: the claim', () => {
  // Under the run's root, which the run removes: a folder of its own in /tmp outlived every run.
  const dir = newStateDir('host-claim');
  const file = join(dir, 'claim');
  const lines: string[] = [];
  const undone: HostClaim[] = [];
  // As the node's own rule does: a claim whose starter is dead is undone and released.
  const undoIfAbandoned = async (claim: HostClaim): Promise<void> => {
    if (isRunning(claim.owner)) return;
    undone.push(claim);
    releaseClaim(file, claim.dir);
  };
  const options = { waitMs: 0, log: (line: string) => lines.push(line), undoIfAbandoned, pollMs: 50 };

  it('is taken by the first node and names its folder and starter', async () => {
    await claimHost(file, '/nodes/a', options);
    assert.deepEqual(readClaim(file), { dir: '/nodes/a', owner: process.pid });
  });

  it('refuses a second node at once, naming the first, when told not to wait', async () => {
    await assert.rejects(claimHost(file, '/nodes/b', options), (error: Error) => error instanceof HostTaken && /another real node runs on this host \(\/nodes\/a, started by pid \d+\)/.test(error.message));
    assert.deepEqual(readClaim(file)?.dir, '/nodes/a');
  });

  it('lets a waiting node in once the first releases the host, and says it waited', async () => {
    const second = claimHost(file, '/nodes/b', { ...options, waitMs: 60_000 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(readClaim(file)?.dir, '/nodes/a', 'the second waits');
    releaseClaim(file, '/nodes/a');
    await second;
    assert.deepEqual(readClaim(file)?.dir, '/nodes/b');
    assert.match(lines.join('\n'), /waiting for the real node in \/nodes\/a to stop/);
  });

  it('is released only by the node that holds it', () => {
    releaseClaim(file, '/nodes/a');
    assert.deepEqual(readClaim(file)?.dir, '/nodes/b');
    releaseClaim(file, '/nodes/b');
    assert.equal(existsSync(file), false);
  });

  it('takes over a claim whose starter died, after undoing it', async () => {
    const owner = deadPid();
    writeFileSync(file, `/nodes/crashed\n${owner}\n`);
    await claimHost(file, '/nodes/c', options);
    assert.deepEqual(undone, [{ dir: '/nodes/crashed', owner }]);
    assert.deepEqual(readClaim(file), { dir: '/nodes/c', owner: process.pid });
    releaseClaim(file, '/nodes/c');
  });
});
