import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { CNI_PLUGINS, VERSIONS, type Toolchain } from '../toolchain';
import { goEnvironment, kubernetesLdflags, MODULE_DIR } from './kubernetes';
import { ensureBuilt, MissingPrerequisite, run } from './steps';

/** Built from the control plane's own module, so the kubelet and the apiserver are the same release. */
const NODE_COMMANDS = ['kubelet', 'kube-proxy', 'kubectl'] as const;

const CNI_PACKAGES: Record<(typeof CNI_PLUGINS)[number], string> = {
  bridge: 'plugins/main/bridge', 'host-local': 'plugins/ipam/host-local', loopback: 'plugins/main/loopback', portmap: 'plugins/meta/portmap',
  bandwidth: 'plugins/meta/bandwidth',
};

/**
 * What the node needs from the system, by command and the Debian package that has it. Debian's
 * containerd 1.6 and runc are the ones verified on this machine (see issue 12).
 */
const SYSTEM_PACKAGES: ReadonlyArray<readonly [command: string, versionArgs: string[], pkg: string]> = [
  ['containerd', ['--version'], 'containerd'],
  ['ctr', ['--version'], 'containerd'],
  ['runc', ['--version'], 'runc'],
  ['iptables', ['--version'], 'iptables'],
  ['conntrack', ['--version'], 'conntrack'],
  // kube-router, the NetworkPolicy enforcer, keeps each policy's pods and peers in ip sets.
  ['ipset', ['--version'], 'ipset'],
  ['socat', ['-V'], 'socat'],
  ['openssl', ['version'], 'openssl'],
  ['ip', ['-V'], 'iproute2'],
];

function missingSystemPackages(): string[] {
  const missing = SYSTEM_PACKAGES.filter(([command, args]) => {
    const probe = spawnSync(command, args, { stdio: 'ignore' });
    return probe.error !== undefined || probe.status !== 0;
  });
  return [...new Set(missing.map(([, , pkg]) => pkg))];
}

/** From Debian's archive like Chromium: these talk to the kernel and are the host's, not a cache's. */
export function installNodeSystemPackages(): void {
  const missing = missingSystemPackages();
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0 || spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status !== 0) {
    throw new MissingPrerequisite(missing.join(' '), `the real Kubernetes node needs them (as root: apt-get install ${missing.join(' ')})`);
  }
  run('apt-get', ['update', '-qq'], { progress: { component: 'kubernetes node', label: 'apt-get update' } });
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    progress: { component: 'kubernetes node', label: `installing Debian's ${missing.join(', ')} with apt-get` },
  });
}

function buildNodeCommands(tools: Toolchain): void {
  const packages = NODE_COMMANDS.map((command) => `k8s.io/kubernetes/cmd/${command}`);
  run('go', ['build', '-trimpath', `-ldflags=${kubernetesLdflags()}`, '-o', `${tools.kubernetesNodeBin}/`, ...packages], {
    cwd: MODULE_DIR, env: goEnvironment(tools),
    // The estimate holds with the control plane's Go caches warm, as the `kubernetes` step leaves them.
    progress: { component: 'kubernetes node', label: `building ${NODE_COMMANDS.join(', ')} v${VERSIONS.kubernetes}`, estimateSeconds: 60 },
  });
}

/** `go install pkg@version` builds each tool against its own go.mod, as its releases are. */
function goInstall(tools: Toolchain, bin: string, packages: string[], progress: { component: string; label: string; estimateSeconds?: number }): void {
  const env = { ...goEnvironment(tools), GOFLAGS: '', GOBIN: bin };
  run('go', ['install', '-trimpath', '-ldflags=-s -w', ...packages], { cwd: tools.goPath, env, progress });
}

export async function installKubernetesNode(tools: Toolchain): Promise<void> {
  installNodeSystemPackages();
  await ensureBuilt('cni plugins', dirname(tools.cniBin), () => {
    goInstall(tools, tools.cniBin, CNI_PLUGINS.map((plugin) => `github.com/containernetworking/plugins/${CNI_PACKAGES[plugin]}@v${VERSIONS.cniPlugins}`),
      { component: 'cni plugins', label: `building ${CNI_PLUGINS.join(', ')} v${VERSIONS.cniPlugins}` });
  });
  await ensureBuilt('kubernetes node', dirname(tools.kubernetesNodeBin), () => {
    buildNodeCommands(tools);
    // Its default plugin set includes `kubernetes`, which is all the node's cluster DNS needs.
    goInstall(tools, tools.kubernetesNodeBin, [`github.com/coredns/coredns@v${VERSIONS.coredns}`],
      { component: 'coredns', label: `building coredns v${VERSIONS.coredns}`, estimateSeconds: 120 });
  });
}

export function nodeBinary(tools: Toolchain, name: (typeof NODE_COMMANDS)[number] | 'coredns'): string {
  return join(tools.kubernetesNodeBin, name);
}
