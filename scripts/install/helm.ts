import { join } from 'node:path';
import { VERSIONS, type Toolchain } from '../toolchain';
import { goEnvironment } from './kubernetes';
import { ensureBuilt, run } from './steps';

/** Helm's Kubernetes libraries (k8s.io/* v0.37) are Kubernetes 1.37's; `helm template` and `helm lint` assume that version. */
const HELM_KUBERNETES_MINOR = '37';

export function helmBinary(tools: Toolchain): string {
  return join(tools.root, `helm-${VERSIONS.helm}`, 'bin', 'helm');
}

/**
 * Helm's Makefile stamps these; built plainly, `helm version` says v3.22 without the patch and
 * `helm template` renders for Kubernetes 1.20 (its fallback) instead of the version it was built against.
 */
function helmLdflags(): string {
  const pkg = 'helm.sh/helm/v3';
  return ['-s', '-w', `-X ${pkg}/internal/version.version=v${VERSIONS.helm}`, `-X ${pkg}/internal/version.gitTreeState=clean`,
    ...['pkg/chartutil', 'pkg/lint/rules'].flatMap((at) => [`-X ${pkg}/${at}.k8sVersionMajor=1`, `-X ${pkg}/${at}.k8sVersionMinor=${HELM_KUBERNETES_MINOR}`]),
  ].join(' ');
}

/** Helm for the chart in deploy/helm (lint, template, install), built from the Go module proxy like the other Go tools. */
export async function installHelm(tools: Toolchain): Promise<void> {
  const binary = helmBinary(tools);
  await ensureBuilt('helm', join(binary, '..', '..'), () => {
    // `go install pkg@version` resolves helm's own go.mod and rejects -mod.
    const env = { ...goEnvironment(tools), GOFLAGS: '', GOBIN: join(binary, '..') };
    run('go', ['install', '-trimpath', `-ldflags=${helmLdflags()}`, `helm.sh/helm/v3/cmd/helm@v${VERSIONS.helm}`],
      { cwd: tools.goPath, env, progress: { component: 'helm', label: `building helm v${VERSIONS.helm}`, estimateSeconds: 150 } });
    run(binary, ['version', '--short']);
  });
}
