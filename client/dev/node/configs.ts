import type { TestBedPki } from './pki';

/**
 * The configuration files of a real node, as pure functions of where things are: containerd's,
 * the CNI network's, the kubelet's, kube-proxy's, CoreDNS's and the node components' kubeconfigs.
 */
export const NODE_NAME = 'flink-fleet-node';
/** The real node's label and taint key: only pods that select it and tolerate the taint run there. */
export const REAL_NODE_LABEL = 'flink-fleet.test/real-node';
/**
 * A test-only interface whose address the apiserver, the kubelet, kube-proxy and CoreDNS listen on:
 * not loopback, so pods reach it through the bridge, and from the benchmarking range (RFC 2544), so
 * it collides with no real network. Its existence is also the host-wide lock: one real node per host.
 */
export const TEST_INTERFACE = 'flinkfleet0';
export const NODE_ADDRESS = '198.18.0.1';
/** A /24 on one node: room for 250 pods, from a range no host route here uses. */
export const POD_CIDR = '10.244.0.0/24';
export const CLUSTER_CIDR = '10.244.0.0/16';
export const CLUSTER_DOMAIN = 'cluster.local';
/** containerd's second runtime handler on the real node, and the RuntimeClass that selects it. */
export const SANDBOX_RUNTIME_HANDLER = 'runc-sandbox';

export interface NodePaths {
  readonly dir: string;
  readonly logs: string;
  readonly containerdRoot: string;
  readonly containerdState: string;
  readonly containerdSocket: string;
  readonly containerdConfig: string;
  readonly runcRoot: string;
  /** The state folder of the `runc-sandbox` handler's containers: which handler ran a container shows in where runc keeps it. */
  readonly sandboxRuncRoot: string;
  readonly cniConfDir: string;
  readonly cniIpamDir: string;
  readonly kubeletRoot: string;
  readonly podLogs: string;
  readonly kubeletConfig: string;
  readonly kubeletKubeconfig: string;
  readonly kubeProxyConfig: string;
  readonly kubeProxyKubeconfig: string;
  readonly corefile: string;
}

export function nodePaths(dir: string): NodePaths {
  const containerd = `${dir}/containerd`;
  return {
    dir, logs: `${dir}/logs`, containerdRoot: `${containerd}/root`, containerdState: `${containerd}/state`,
    containerdSocket: `${containerd}/containerd.sock`, containerdConfig: `${containerd}/config.toml`, runcRoot: `${containerd}/runc`,
    sandboxRuncRoot: `${containerd}/runc-sandbox`,
    cniConfDir: `${dir}/cni/net.d`, cniIpamDir: `${dir}/cni/ipam`, kubeletRoot: `${dir}/kubelet`, podLogs: `${dir}/pod-logs`,
    kubeletConfig: `${dir}/kubelet.json`, kubeletKubeconfig: `${dir}/kubelet.kubeconfig`, kubeProxyConfig: `${dir}/kube-proxy.json`,
    kubeProxyKubeconfig: `${dir}/kube-proxy.kubeconfig`, corefile: `${dir}/Corefile`,
  };
}

/**
 * containerd 1.6's CRI plugin, without systemd. `restrict_oom_score_adj`: this VM withholds
 * CAP_SYS_RESOURCE, and runc fails every sandbox ("can't get final child's PID from pipe: EOF")
 * unless containers keep an oom_score_adj no lower than containerd's own. The `opt` plugin would
 * otherwise create /opt/containerd. A second handler, `runc-sandbox` (still runc, its own state
 * folder), is what the RuntimeClass of the same name selects: a tenant plan's RuntimeClass is then
 * tested end to end, and a real sandbox (gVisor's runsc) only changes the handler's runtime_type.
 */
export function containerdConfig(paths: NodePaths, options: { sandboxImage: string; cniBin: string }): string {
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return `version = 2
root = ${JSON.stringify(paths.containerdRoot)}
state = ${JSON.stringify(paths.containerdState)}

[grpc]
  address = ${JSON.stringify(paths.containerdSocket)}

[plugins."io.containerd.internal.v1.opt"]
  path = ${JSON.stringify(`${paths.containerdRoot}/opt`)}

[${cri}]
  sandbox_image = ${JSON.stringify(options.sandboxImage)}
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  enable_selinux = false

[${cri}.containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"

[${cri}.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[${cri}.containerd.runtimes.runc.options]
  SystemdCgroup = false
  Root = ${JSON.stringify(paths.runcRoot)}

[${cri}.containerd.runtimes.${SANDBOX_RUNTIME_HANDLER}]
  runtime_type = "io.containerd.runc.v2"

[${cri}.containerd.runtimes.${SANDBOX_RUNTIME_HANDLER}.options]
  SystemdCgroup = false
  Root = ${JSON.stringify(paths.sandboxRuncRoot)}

[${cri}.cni]
  bin_dir = ${JSON.stringify(options.cniBin)}
  conf_dir = ${JSON.stringify(paths.cniConfDir)}
`;
}

/**
 * One bridge for every pod of the node; ipMasq so pods reach addresses beyond it, hairpin so a pod
 * reaches itself through its Service; bandwidth limits a pod to what its annotations (the tenant's plan) say.
 */
export function cniConflist(paths: NodePaths): object {
  return {
    cniVersion: '1.0.0', name: 'flink-fleet',
    plugins: [
      { type: 'bridge', bridge: 'cni0', isGateway: true, ipMasq: true, hairpinMode: true,
        ipam: { type: 'host-local', ranges: [[{ subnet: POD_CIDR }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: paths.cniIpamDir } },
      { type: 'portmap', capabilities: { portMappings: true } },
      { type: 'bandwidth', capabilities: { bandwidth: true } },
    ],
  };
}

export interface KubeletOptions {
  readonly address: string;
  readonly port: number;
  readonly healthzPort: number;
  readonly pki: TestBedPki;
  readonly taint: { key: string; value: string; effect: 'NoSchedule' };
}

/**
 * failCgroupV1: 1.35+ refuses cgroup v1 otherwise. protectKernelDefaults: false lets it start on a
 * host whose kernel sysctls are not what it wants; it then sets them, and the node puts them back.
 * Eviction and image GC thresholds are low because the disk is shared with builds and caches.
 */
export function kubeletConfig(paths: NodePaths, options: KubeletOptions): object {
  return {
    kind: 'KubeletConfiguration', apiVersion: 'kubelet.config.k8s.io/v1beta1',
    address: options.address, port: options.port, readOnlyPort: 0, healthzBindAddress: options.address, healthzPort: options.healthzPort,
    tlsCertFile: options.pki.kubeletServing.cert, tlsPrivateKeyFile: options.pki.kubeletServing.key,
    authentication: { x509: { clientCAFile: options.pki.caCert }, webhook: { enabled: true }, anonymous: { enabled: false } },
    authorization: { mode: 'Webhook' },
    containerRuntimeEndpoint: `unix://${paths.containerdSocket}`,
    cgroupDriver: 'cgroupfs', failCgroupV1: false, failSwapOn: false, protectKernelDefaults: false,
    clusterDNS: [options.address], clusterDomain: CLUSTER_DOMAIN, resolvConf: '/etc/resolv.conf',
    registerWithTaints: [options.taint], podLogsDir: paths.podLogs,
    evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '1%', 'imagefs.available': '1%', 'nodefs.inodesFree': '1%' },
    imageGCHighThresholdPercent: 100, imageGCLowThresholdPercent: 99, serializeImagePulls: false,
  };
}

/** No conntrack tuning (it would change host sysctls) and no localhost NodePorts (route_localnet). */
export function kubeProxyConfig(paths: NodePaths, options: { address: string; healthzPort: number; metricsPort: number }): object {
  return {
    kind: 'KubeProxyConfiguration', apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    clientConnection: { kubeconfig: paths.kubeProxyKubeconfig }, mode: 'iptables', hostnameOverride: NODE_NAME,
    bindAddress: options.address, healthzBindAddress: `${options.address}:${options.healthzPort}`,
    metricsBindAddress: `${options.address}:${options.metricsPort}`, clusterCIDR: CLUSTER_CIDR,
    nodePortAddresses: [`${options.address}/32`], oomScoreAdj: 0,
    conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s' },
    iptables: { localhostNodePorts: false, masqueradeAll: false },
  };
}

/** Cluster DNS as a host process on the test interface, reading the API through the admin kubeconfig. */
export function corefile(options: { address: string; readyPort: number; kubeconfig: string; context: string }): string {
  return `.:53 {
    bind ${options.address}
    errors
    ready ${options.address}:${options.readyPort}
    kubernetes ${CLUSTER_DOMAIN} in-addr.arpa ip6.arpa {
        kubeconfig ${options.kubeconfig} ${options.context}
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
    forward . /etc/resolv.conf
    cache 5
}
`;
}

export function certificateKubeconfig(server: string, caCert: string, user: string, cert: string, key: string): object {
  return {
    apiVersion: 'v1', kind: 'Config', 'current-context': user,
    clusters: [{ name: 'flink-fleet-test', cluster: { server, 'certificate-authority': caCert } }],
    users: [{ name: user, user: { 'client-certificate': cert, 'client-key': key } }],
    contexts: [{ name: user, context: { cluster: 'flink-fleet-test', user } }],
  };
}
