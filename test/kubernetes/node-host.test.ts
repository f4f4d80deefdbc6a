import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, NetworkingV1Api } from '@kubernetes/client-node';
import { freePort } from '../../activities/runtime/local/ports';
import { waitUntil } from '../../activities/runtime/local/wait';
import { ON_REAL_NODE, startKubernetesWithRealNode, TEST_INTERFACE } from '../../client/dev/kubernetes-node';
import {
  hostStateDifferences, KUBELET_SYSCTLS, otherContainerdRunning, snapshotHostState, type HostState,
} from '../../client/dev/node/host-state';
import { pauseImage } from '../../scripts/install/images/pause';
import { toolchain } from '../../scripts/toolchain';
import { stopKubernetesTestBed } from '../harness/global';
import { trackProcess } from '../harness/processes';

function kubeletSysctls(state: HostState): Record<string, string | undefined> {
  return Object.fromEntries(KUBELET_SYSCTLS.map((key) => [key, state.sysctls[key]]));
}

describe('starting and stopping a real node', () => {
  // One real node per host: the run's own, if a test started it, is stopped (the next user starts it again).
  before(stopKubernetesTestBed);

  it('leaves the host as it was: sysctls, iptables chains, ip sets, interfaces, mounts, paths and cgroups', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'flink-fleet-node-host-'));
    const before = snapshotHostState(join(dataDir, 'node'));
    const othersAtStart = otherContainerdRunning();
    const k8s = await startKubernetesWithRealNode({ dataDir, sandboxImage: pauseImage(toolchain()) });
    let during: HostState;
    try {
      for (const pid of k8s.pids()) trackProcess(pid, `kubernetes test bed process in ${dataDir}`);
      const core = k8s.kubeConfig.makeApiClient(CoreV1Api);
      const namespace = await k8s.createTestNamespace('node-host');
      // A host port, a memory limit and a Service: the portmap plugin's chains, a pod cgroup, kube-proxy's rules.
      const hostPort = await freePort();
      await core.createNamespacedPod({ namespace, body: { metadata: { name: 'pause', labels: { app: 'pause' } }, spec: { ...ON_REAL_NODE,
        containers: [{ name: 'main', image: pauseImage(toolchain()).reference, imagePullPolicy: 'Never', ports: [{ containerPort: 8080, hostPort }],
          resources: { limits: { cpu: '10m', memory: '16Mi' } } }] } } });
      await core.createNamespacedService({ namespace, body: { metadata: { name: 'pause' },
        spec: { selector: { app: 'pause' }, ports: [{ port: 8080 }] } } });
      // A policy with a peer: kube-router's chains for the pod and its ip sets for the peer.
      await k8s.kubeConfig.makeApiClient(NetworkingV1Api).createNamespacedNetworkPolicy({ namespace, body: { metadata: { name: 'pause' },
        spec: { podSelector: { matchLabels: { app: 'pause' } }, policyTypes: ['Ingress'], ingress: [{ _from: [{ podSelector: {} }] }] } } });
      await waitUntil('the pause pod Running', async () => {
        const pod = await core.readNamespacedPod({ name: 'pause', namespace });
        return pod.status?.phase === 'Running' ? true : undefined;
      }, { timeoutMs: 120_000, intervalMs: 500 });
      await waitUntil('kube-router\'s ip sets for the policy', async () => (snapshotHostState(join(dataDir, 'node')).ipsets
        .some((set) => set.startsWith('KUBE-')) ? true : undefined), { timeoutMs: 60_000, intervalMs: 500 });
      during = snapshotHostState(join(dataDir, 'node'));
    } finally {
      await k8s.stop();
    }
    // The snapshot sees what the node does, so an empty difference after means something.
    assert.ok(during.interfaces.includes('cni0') && during.interfaces.includes(TEST_INTERFACE), during.interfaces.join(' '));
    assert.ok(during.iptables.some((entry) => entry.endsWith(' nat KUBE-SERVICES')), during.iptables.join('\n'));
    assert.ok(during.iptables.some((entry) => / CNI-HOSTPORT-DNAT$/.test(entry)), during.iptables.join('\n'));
    assert.ok(during.cgroups.includes('memory/kubepods'), during.cgroups.join(' '));
    assert.ok(during.iptables.includes('iptables filter KUBE-ROUTER-FORWARD'), during.iptables.join('\n'));
    assert.ok(during.mounts.length > 0);
    // The kubelet sets these at start; the node puts them back at once, not only at stop.
    assert.deepEqual(kubeletSysctls(during), kubeletSysctls(before));
    assert.equal(during.sysctls['net.ipv4.ip_forward'], '1');

    // containerd's shims keep their sockets in /run/containerd whoever runs them: the last containerd of the fleet to stop removes it, which may be another.
    const othersBefore = otherContainerdRunning();
    const differences = hostStateDifferences(before, snapshotHostState(join(dataDir, 'node')));
    const others = othersAtStart || othersBefore || otherContainerdRunning();
    const shared = others ? differences.filter((d) => !/^paths: \/run\/containerd (added|removed)$/.test(d)) : differences;
    assert.deepEqual(shared, []);
  });
});
