import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimSharedContainerdDir, releaseSharedContainerdDir } from '../../client/dev/node/host-state';

/**
 * /run/containerd is shared by every containerd on the host; the fleet's (the real node's, a test's
 * private one) start and stop in any order, and the last to stop must remove it if the fleet made it.
 * Here on a folder of the test's own in place of /run/containerd.
 */
describe('the folder every containerd shares (/run/containerd)', () => {
  let root: string;
  let shared: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'flink-fleet-test-shared-'));
    shared = join(root, 'run-containerd');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('is removed by the last of two interleaved users, whichever order they stop in', () => {
    for (const order of [['node', 'private'], ['private', 'node']]) {
      claimSharedContainerdDir(shared);
      claimSharedContainerdDir(shared);
      mkdirSync(join(shared, 's'));
      let running = new Set(['node', 'private']);
      for (const stopping of order) {
        running = new Set([...running].filter((user) => user !== stopping));
        releaseSharedContainerdDir(running.size > 0, shared);
        assert.equal(existsSync(shared), running.size > 0, `after ${stopping} stopped (${order.join(' then ')})`);
      }
    }
  });

  it('is never removed when it was there before the fleet, as a system containerd leaves it', () => {
    mkdirSync(shared);
    writeFileSync(join(shared, 'containerd.sock'), '');
    claimSharedContainerdDir(shared);
    assert.deepEqual(readdirSync(shared), ['containerd.sock'], 'nothing of the fleet\'s is added to it');
    releaseSharedContainerdDir(false, shared);
    assert.ok(existsSync(join(shared, 'containerd.sock')));
  });
});
