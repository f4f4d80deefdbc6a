import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { VERSIONS, type Toolchain } from '../toolchain';
import { ensureBuilt, InstallStepFailed, run, say } from './steps';

/** The Go module that pins the control plane and the node (go.mod, go.sum and the etcd main). */
export const MODULE_DIR = join(__dirname, '..', 'k8s');

const KUBERNETES_COMMANDS = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const;

export const CONTROL_PLANE_BINARIES = ['etcd', ...KUBERNETES_COMMANDS, 'kwok'] as const;
export type ControlPlaneBinary = (typeof CONTROL_PLANE_BINARIES)[number];

export function controlPlaneBinary(tools: Toolchain, name: ControlPlaneBinary): string {
  return join(tools.kubernetesBin, name);
}

/** kwok's stage definitions, joined into the one file its `-c` flag takes. */
export function kwokStagesFile(tools: Toolchain): string {
  return join(dirname(tools.kubernetesBin), 'kwok-stages.yaml');
}

/**
 * kwok refuses to start without stages. These are kwok's own: nodes become Ready at once and keep a
 * lease, pods become Ready at once, Jobs' pods complete, and deleted pods go away.
 */
const KWOK_STAGES = [
  'kustomize/stage/node/fast/node-initialize.yaml',
  'kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml',
  'kustomize/stage/pod/fast/pod-ready.yaml',
  'kustomize/stage/pod/fast/pod-complete.yaml',
  'kustomize/stage/pod/fast/pod-delete.yaml',
];

/** Everything Go writes goes under the flink-fleet cache, so a wiped cache means a cold build. */
export function goEnvironment(tools: Toolchain): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GOPATH: tools.goPath,
    GOMODCACHE: join(tools.goPath, 'pkg', 'mod'),
    GOCACHE: join(tools.goPath, 'build-cache'),
    GOFLAGS: '-mod=mod',
    // Static binaries: no C toolchain needed and nothing to break when the host's libc changes.
    CGO_ENABLED: '0',
  };
}

/**
 * Built outside Kubernetes' own scripts, the binaries would report v0.0.0-master; clients and the
 * compatibility-version logic read this, so stamp the real version in.
 */
export function kubernetesLdflags(): string {
  const [major, minor] = VERSIONS.kubernetes.split('.');
  const pkg = 'k8s.io/component-base/version';
  return ['-s', '-w', `-X ${pkg}.gitVersion=v${VERSIONS.kubernetes}`, `-X ${pkg}.gitMajor=${major}`,
    `-X ${pkg}.gitMinor=${minor}`, `-X ${pkg}.gitTreeState=clean`].join(' ');
}

function buildControlPlane(tools: Toolchain, bin: string): void {
  const packages = KUBERNETES_COMMANDS.map((command) => `k8s.io/kubernetes/cmd/${command}`);
  run('go', ['build', '-trimpath', `-ldflags=${kubernetesLdflags()}`, '-o', `${bin}/`, ...packages, './etcd'], {
    cwd: MODULE_DIR, env: goEnvironment(tools),
    progress: { component: 'kubernetes', label: `building etcd and ${KUBERNETES_COMMANDS.join(', ')} v${VERSIONS.kubernetes}`, estimateSeconds: 300 },
  });
}

function buildKwok(tools: Toolchain, bin: string): void {
  // `go install pkg@version` resolves kwok's own go.mod, not ours, and rejects -mod.
  const env = { ...goEnvironment(tools), GOFLAGS: '', GOBIN: bin };
  run('go', ['install', '-trimpath', '-ldflags=-s -w', `sigs.k8s.io/kwok/cmd/kwok@v${VERSIONS.kwok}`],
    { cwd: tools.goPath, env, progress: { component: 'kwok', label: `building kwok v${VERSIONS.kwok}`, estimateSeconds: 45 } });
}

function kwokModuleDir(tools: Toolchain): string {
  const output = execFileSync('go', ['mod', 'download', '-json', `sigs.k8s.io/kwok@v${VERSIONS.kwok}`],
    { cwd: tools.goPath, env: { ...goEnvironment(tools), GOFLAGS: '' }, encoding: 'utf8' });
  const parsed: unknown = JSON.parse(output);
  if (typeof parsed !== 'object' || parsed === null || !('Dir' in parsed) || typeof parsed.Dir !== 'string') {
    throw new InstallStepFailed(`go mod download did not say where sigs.k8s.io/kwok@v${VERSIONS.kwok} is`);
  }
  return parsed.Dir;
}

/** Generated from the module cache rather than committed, so it always matches the kwok binary. */
function writeKwokStages(tools: Toolchain): void {
  const moduleDir = kwokModuleDir(tools);
  // Named one by one: the folders also hold kustomization.yaml files, which kwok would reject.
  const documents = KWOK_STAGES.map((file) => readFileSync(join(moduleDir, file), 'utf8').trim());
  writeFileSync(kwokStagesFile(tools), `${documents.join('\n---\n')}\n`);
  say('kwok', `${documents.length} stage definitions in ${kwokStagesFile(tools)}`);
}

export async function installKubernetes(tools: Toolchain): Promise<void> {
  await ensureBuilt('kubernetes', dirname(tools.kubernetesBin), () => {
    mkdirSync(tools.goPath, { recursive: true });
    buildControlPlane(tools, tools.kubernetesBin);
    buildKwok(tools, tools.kubernetesBin);
    writeKwokStages(tools);
  });
}
