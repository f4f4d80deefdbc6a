import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { FETCH_BAD_PORTS, bindable, freePort } from '../../activities/runtime/local/ports';

const ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);

describe('the free ports handed to the processes the fleet starts', () => {
  it('lie below the kernel\'s ephemeral range, where no outgoing connection can take them, and below the NodePort range, and are free', async () => {
    const taken = new Set<number>();
    for (let i = 0; i < 20; i++) {
      const port = await freePort({ taken });
      assert.ok(port >= 10_000 && port < Math.min(ephemeralLow, 30_000), `port ${port}, ephemeral range from ${ephemeralLow}`);
      assert.ok(await bindable(port));
    }
    assert.equal(taken.size, 20, 'each port drawn was new and recorded as taken');
  });

  it('stay at or below a maximum, and report a port a listener holds as not bindable', async () => {
    for (let i = 0; i < 20; i++) assert.ok(await freePort({ max: 12_000 }) <= 12_000);
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const address = holder.address();
    try {
      assert.equal(await bindable(typeof address === 'object' && address ? address.port : 0), false);
    } finally {
      holder.close();
    }
  });

  it('never hand out a port that fetch refuses, since our readiness checks and REST calls could not reach it', async () => {
    for (const port of FETCH_BAD_PORTS) {
      await assert.rejects(fetch(`http://127.0.0.1:${port}/`), (error: Error) => String((error as { cause?: unknown }).cause).includes('bad port'), `fetch refuses ${port}`);
    }
    const bad = 10_080;
    assert.ok(FETCH_BAD_PORTS.has(bad));
    const taken = new Set<number>();
    for (let port = 10_000; port <= 11_000; port++) if (port !== bad && port !== bad + 1) taken.add(port);
    assert.equal(await freePort({ max: 11_000, taken }), bad + 1, 'the only port left besides the refused one');
  });
});
