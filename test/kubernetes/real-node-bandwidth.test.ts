import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { bandwidthAnnotations, withPodAnnotations } from '../../activities/runtime/kubernetes/manifests/bandwidth';
import { freePort } from '../../activities/runtime/local/ports';
import { waitUntil } from '../../activities/runtime/local/wait';
import { ON_REAL_NODE, type KubernetesWithRealNode } from '../../client/dev/kubernetes-node';
import { flinkImage } from '../../scripts/install/images/flink-image';
import { toolchain } from '../../scripts/toolchain';
import { kubernetesTestBedWithImage } from '../harness/global';

const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'flink-fleet' };
const WAIT = { timeoutMs: 180_000, intervalMs: 500 };
/** Each way, for the limited pod: 5 MB/s, far below what the node's bridge carries unshaped. */
const LIMIT_MBIT = 40;
/**
 * Long enough for the burst to run out whatever the machine's load: in one clean-clone run the
 * limited pod sent 4.3 GB (about 2^32 bytes) at line rate in its first 12 s, then slowed only
 * gradually, and had not settled when a 20-second transfer ended.
 */
const SECONDS = 45;

/** Cumulative bytes at a time (ms since the epoch): a transfer's progress as seen by one end. */
type Progress = ReadonlyArray<readonly [atMs: number, bytes: number]>;

/**
 * Mbit/s once the transfer has settled. containerd hands the bandwidth plugin a burst of 2^32 bits
 * (it has no annotation for one), so a transfer may start faster than its limit: the rate that counts
 * starts where the transfer first slows below twice the limit (or, unshaped, after its first second)
 * and ends a second before the transfer does.
 */
function settledMbit(progress: Progress): number {
  const rateBetween = (a: readonly [number, number], b: readonly [number, number]): number => ((b[1] - a[1]) * 8) / ((b[0] - a[0]) * 1_000);
  const end = progress.at(-1)?.[0] ?? 0;
  const start = progress[0]?.[0] ?? 0;
  const settledAt = progress.findIndex((sample, i) => i > 0 && sample[0] - start >= 1_000 && rateBetween(progress[i - 1] ?? sample, sample) < 2 * LIMIT_MBIT);
  const from = progress.find((sample) => sample[0] >= (settledAt > 0 ? progress[settledAt]?.[0] ?? start : start + 1_000) + 1_000);
  const to = [...progress].reverse().find((sample) => sample[0] <= end - 1_000);
  assert.ok(from && to && to[0] - from[0] >= 4_000, `at least 4 s of settled transfer to measure: ${JSON.stringify(progress.map(([at, bytes]) => [at - start, bytes]))}`);
  return rateBetween(from, to);
}

/**
 * Mbit/s over the whole transfer: enough to show a sender is not shaped. The unlimited neighbour has
 * no plateau to find (once it sent 3.2 GB in 7.5 s, its connection closed before a settled window).
 */
function averageMbit(progress: Progress): number {
  const [first, last] = [progress[0], progress.at(-1)];
  assert.ok(first && last && last[0] - first[0] >= 2_000, `at least 2 s of transfer to measure: ${JSON.stringify(progress)}`);
  return ((last[1] - first[1]) * 8) / ((last[0] - first[0]) * 1_000);
}

/** A TCP end on the node's address, outside every pod: it counts what each connection sends, or sends zeros to it. */
async function nodeEnd(host: string, mode: 'sink' | 'source'): Promise<{ server: Server; port: number; progress: Map<string, Array<[number, number]>> }> {
  const progress = new Map<string, Array<[number, number]>>();
  const zeros = Buffer.alloc(64 * 1024);
  const server = createServer((socket: Socket) => {
    const samples: Array<[number, number]> = [[Date.now(), 0]];
    progress.set(socket.remoteAddress ?? '', samples);
    let bytes = 0;
    const sample = setInterval(() => samples.push([Date.now(), mode === 'sink' ? bytes : socket.bytesWritten]), 250);
    socket.on('close', () => clearInterval(sample));
    socket.on('error', () => undefined);
    if (mode === 'sink') {
      socket.on('data', (chunk: Buffer) => { bytes += chunk.length; });
      return;
    }
    const pump = (): void => {
      while (!socket.destroyed && socket.write(zeros));
    };
    socket.on('drain', pump);
    pump();
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return { server, port, progress };
}

describe('pod bandwidth on the real node (CNI bandwidth plugin, the plan\'s annotations)', () => {
  let k8s: KubernetesWithRealNode;
  let core: CoreV1Api;
  let namespace: string;
  const servers: Server[] = [];

  before(async () => {
    k8s = await kubernetesTestBedWithImage(flinkImage(toolchain()));
    core = k8s.kubeConfig.makeApiClient(CoreV1Api);
    namespace = await k8s.createTestNamespace('bandwidth');
  });

  after(async () => {
    for (const server of servers) server.close();
    await core?.deleteNamespace({ name: namespace });
  });

  /**
   * The limited sender asks for half a core: the burst runs out only after about 2^32 bytes, and with
   * the default 100m's CPU shares a loaded machine slowed its sending so much that the burst outlasted
   * the transfer (130 Mbit/s "settled" at a load average of 40).
   */
  function pod(name: string, lines: string[], limited: boolean, cpuRequest = '100m'): V1Pod {
    const body: V1Pod = {
      apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { ...MANAGED_BY, app: name } },
      spec: { ...ON_REAL_NODE, restartPolicy: 'Never', terminationGracePeriodSeconds: 1,
        containers: [{ name: 'main', image: flinkImage(toolchain()).reference, imagePullPolicy: 'Never', args: ['bash', '-c', lines.join('\n')],
          resources: { requests: { cpu: cpuRequest, memory: '64Mi' }, limits: { cpu: '1', memory: '64Mi' } } }] },
    };
    return limited ? withPodAnnotations(body, bandwidthAnnotations({ ingressMbit: LIMIT_MBIT, egressMbit: LIMIT_MBIT })) : body;
  }

  async function podIp(name: string): Promise<string> {
    return waitUntil(`pod ${namespace}/${name} to have an address`, async () => (await core.readNamespacedPod({ name, namespace })).status?.podIP, WAIT);
  }

  async function finished(name: string): Promise<void> {
    await waitUntil(`pod ${namespace}/${name} to finish`, async () => {
      const phase = (await core.readNamespacedPod({ name, namespace })).status?.phase;
      return phase === 'Succeeded' || phase === 'Failed' ? true : undefined;
    }, WAIT);
  }

  it(`holds a limited pod to ${LIMIT_MBIT} Mbit/s ±20% each way while an unlimited neighbour sends all it can`, async function () {
    this.timeout(600_000);
    const address = k8s.node.address;
    const sink = await nodeEnd(address, 'sink');
    const source = await nodeEnd(address, 'source');
    servers.push(sink.server, source.server);
    // Started together, the neighbour's flood overlaps most of the limited pod's transfer.
    const send = [`exec 3>/dev/tcp/${address}/${sink.port}`, `timeout ${SECONDS} cat /dev/zero >&3; true`];
    await core.createNamespacedPod({ namespace, body: pod('limited-out', send, true, '500m') });
    await core.createNamespacedPod({ namespace, body: pod('open-out', send, false) });
    await core.createNamespacedPod({ namespace, body: pod('limited-in', [`exec 3</dev/tcp/${address}/${source.port}`,
      `timeout ${SECONDS} cat <&3 > /dev/null; true`], true) });
    const [limitedOut, openOut, limitedIn] = await Promise.all(['limited-out', 'open-out', 'limited-in'].map(podIp));
    for (const name of ['limited-out', 'open-out', 'limited-in']) await finished(name);
    const rates = {
      'limited pod, out': settledMbit(sink.progress.get(limitedOut ?? '') ?? []),
      'unlimited neighbour, out': averageMbit(sink.progress.get(openOut ?? '') ?? []),
      'limited pod, in': settledMbit(source.progress.get(limitedIn ?? '') ?? []),
    };
    process.stderr.write(`      rates (Mbit/s; the limited pod's once settled, the neighbour's on average): ${JSON.stringify(rates)}\n`);
    assert.ok(Math.abs(rates['limited pod, out'] - LIMIT_MBIT) <= 0.2 * LIMIT_MBIT, JSON.stringify(rates));
    assert.ok(Math.abs(rates['limited pod, in'] - LIMIT_MBIT) <= 0.2 * LIMIT_MBIT, JSON.stringify(rates));
    assert.ok(rates['unlimited neighbour, out'] > 3 * LIMIT_MBIT, `the neighbour is not shaped: ${JSON.stringify(rates)}`);
  });
});
