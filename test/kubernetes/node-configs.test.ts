import assert from 'node:assert/strict';
import { cniConflist, containerdConfig, kubeletConfig, kubeProxyConfig, nodePaths, REAL_NODE_LABEL } from '../../client/dev/node/configs';
import { hostStateDifferences, type HostState } from '../../client/dev/node/host-state';
import type { TestBedPki } from '../../client/dev/node/pki';

const paths = nodePaths('/state/node');
const files = (name: string): { cert: string; key: string } => ({ cert: `/pki/${name}.crt`, key: `/pki/${name}.key` });
const pki: TestBedPki = { dir: '/pki', caCert: '/pki/ca.crt', apiserver: files('apiserver'), apiserverKubeletClient: files('client'),
  kubeletClient: files('kubelet-client'), kubeletServing: files('kubelet-serving'), kubeProxy: files('kube-proxy') };

describe('the real node configuration', () => {
  it('gives containerd its own root, state and socket, and the CRI settings this VM needs', () => {
    const toml = containerdConfig(paths, { sandboxImage: 'localhost/flink-fleet/pause:1-abc', cniBin: '/cache/cni' });
    for (const line of ['root = "/state/node/containerd/root"', 'state = "/state/node/containerd/state"',
      'address = "/state/node/containerd/containerd.sock"', 'sandbox_image = "localhost/flink-fleet/pause:1-abc"',
      'restrict_oom_score_adj = true', 'netns_mounts_under_state_dir = true', 'snapshotter = "overlayfs"', 'SystemdCgroup = false',
      'bin_dir = "/cache/cni"', 'conf_dir = "/state/node/cni/net.d"']) {
      assert.ok(toml.split('\n').some((l) => l.trim() === line), `missing: ${line}`);
    }
  });

  it('gives containerd a second runtime handler, runc-sandbox, with a runc state folder of its own (what the RuntimeClass selects)', () => {
    const toml = containerdConfig(paths, { sandboxImage: 'localhost/flink-fleet/pause:1-abc', cniBin: '/cache/cni' });
    const section = (name: string): string => toml.split(`[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.${name}`)[1]?.split('\n[')[0] ?? '';
    assert.match(section('runc-sandbox]'), /runtime_type = "io\.containerd\.runc\.v2"/);
    assert.match(section('runc-sandbox.options]'), /Root = "\/state\/node\/containerd\/runc-sandbox"/);
    assert.match(section('runc.options]'), /Root = "\/state\/node\/containerd\/runc"\n/);
    assert.match(toml, /default_runtime_name = "runc"/);
  });

  it('puts pods on a masquerading, hairpinning bridge with host-local addresses kept in the node folder, shaped by their bandwidth annotations', () => {
    const [bridge, portmap, bandwidth] = (cniConflist(paths) as { plugins: Record<string, unknown>[] }).plugins;
    assert.deepEqual({ ...bridge, ipam: undefined }, { type: 'bridge', bridge: 'cni0', isGateway: true, ipMasq: true, hairpinMode: true, ipam: undefined });
    assert.deepEqual(bridge?.ipam, { type: 'host-local', ranges: [[{ subnet: '10.244.0.0/24' }]], routes: [{ dst: '0.0.0.0/0' }],
      dataDir: '/state/node/cni/ipam' });
    assert.equal(portmap?.type, 'portmap');
    // containerd hands the pod's bandwidth annotations only to a plugin that asks for the capability.
    assert.deepEqual(bandwidth, { type: 'bandwidth', capabilities: { bandwidth: true } });
  });

  it('runs the kubelet on cgroup v1 without systemd, tainted so that only pods that ask land on it', () => {
    const config = kubeletConfig(paths, { address: '198.18.0.1', port: 1, healthzPort: 2, pki,
      taint: { key: REAL_NODE_LABEL, value: 'true', effect: 'NoSchedule' } }) as Record<string, unknown>;
    assert.equal(config.failCgroupV1, false);
    assert.equal(config.cgroupDriver, 'cgroupfs');
    assert.equal(config.protectKernelDefaults, false);
    assert.deepEqual(config.clusterDNS, ['198.18.0.1']);
    assert.deepEqual(config.registerWithTaints, [{ key: REAL_NODE_LABEL, value: 'true', effect: 'NoSchedule' }]);
    assert.equal(config.containerRuntimeEndpoint, 'unix:///state/node/containerd/containerd.sock');
    assert.deepEqual(config.authentication, { x509: { clientCAFile: '/pki/ca.crt' }, webhook: { enabled: true }, anonymous: { enabled: false } });
  });

  it('runs kube-proxy in iptables mode without touching conntrack sysctls or route_localnet', () => {
    const config = kubeProxyConfig(paths, { address: '198.18.0.1', healthzPort: 1, metricsPort: 2 }) as Record<string, unknown>;
    assert.equal(config.mode, 'iptables');
    assert.deepEqual(config.conntrack, { maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s' });
    assert.deepEqual(config.iptables, { localhostNodePorts: false, masqueradeAll: false });
  });
});

describe('host state differences', () => {
  const before: HostState = { root: '/n', sysctls: { 'kernel.panic': '1' }, iptables: [], interfaces: ['eth0'], mounts: [], paths: [],
    cgroups: ['memory/user'], nftTables: [], ipsets: [] };

  it('are empty for the same state, and name each change otherwise', () => {
    assert.deepEqual(hostStateDifferences(before, before), []);
    const after: HostState = { ...before, sysctls: { 'kernel.panic': '10' }, iptables: ['iptables nat KUBE-SERVICES'], interfaces: ['cni0'],
      cgroups: [...before.cgroups, 'memory/kubepods'], ipsets: ['KUBE-SRC-ABC'] };
    assert.deepEqual(hostStateDifferences(before, after), ['sysctl kernel.panic was 1, is 10', 'iptables: iptables nat KUBE-SERVICES added',
      'interfaces: cni0 added', 'interfaces: eth0 removed', 'cgroups: memory/kubepods added', 'ipsets: KUBE-SRC-ABC added']);
  });
});
