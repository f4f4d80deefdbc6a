import { dirname } from 'node:path';
import { VERSIONS, type Toolchain } from '../toolchain';
import { goEnvironment } from './kubernetes';
import { ensureBuilt, run } from './steps';

/**
 * The real node's NetworkPolicy enforcer: kube-router with only its firewall (iptables and ipset)
 * on, beside kube-proxy and the bridge CNI. The SIG's own kube-network-policies (v0.8.0) cannot run
 * here: it queues every new connection through an nftables `queue` rule, and this kernel is built
 * without CONFIG_NFT_QUEUE (`nft add rule ... queue num 100` fails with "No such file or directory").
 * v2.1.0 is the only kube-router the Go module proxy serves here.
 */
export async function installNetworkPolicyEnforcer(tools: Toolchain): Promise<void> {
  const bin = dirname(tools.kubeRouterBinary);
  await ensureBuilt('network-policy', dirname(bin), () => {
    // `go install pkg@version` resolves kube-router's own go.mod and rejects -mod.
    const env = { ...goEnvironment(tools), GOFLAGS: '', GOBIN: bin };
    run('go', ['install', '-trimpath', '-ldflags=-s -w', `github.com/cloudnativelabs/kube-router/v2/cmd/kube-router@v${VERSIONS.kubeRouter}`],
      { cwd: tools.goPath, env, progress: { component: 'network-policy', label: `building kube-router v${VERSIONS.kubeRouter}`, estimateSeconds: 240 } });
    run(tools.kubeRouterBinary, ['--version']);
  });
}
