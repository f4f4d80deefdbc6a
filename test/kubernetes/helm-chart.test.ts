import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ApiException, AppsV1Api, CoreV1Api, dumpYaml, RbacAuthorizationV1Api, type KubernetesObject, type V1Deployment } from '@kubernetes/client-node';
import type { KubernetesTestBed } from '../../client/dev/kubernetes-control-plane';
import { toolchain } from '../../scripts/toolchain';
import { CHART_DIR } from '../../scripts/plain-manifests';
import { helm, renderChart } from '../deploy/chart';
import { kubernetesTestBed } from '../harness/global';

interface KubectlRun { status: number | null; stdout: string; stderr: string }

function kubectl(k8s: KubernetesTestBed, args: readonly string[], input: string): KubectlRun {
  const run = spawnSync(join(toolchain().kubernetesNodeBin, 'kubectl'), [`--kubeconfig=${k8s.kubeconfigPath}`, ...args], { input, encoding: 'utf8' });
  if (run.error) throw run.error;
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** What the API server would store, as it answers a server-side dry run of `manifests`: nothing is written. */
function dryRunApply(k8s: KubernetesTestBed, manifests: string): { stderr: string; stored: KubernetesObject[] } {
  const run = kubectl(k8s, ['apply', '--server-side', '--field-manager=flink-fleet-test', '--dry-run=server', '-o', 'json', '-f', '-'], manifests);
  assert.equal(run.status, 0, `the API server refused the dry run: ${run.stderr}`);
  const answer = JSON.parse(run.stdout) as KubernetesObject & { items?: KubernetesObject[] };
  return { stderr: run.stderr, stored: answer.kind === 'List' ? answer.items ?? [] : [answer] };
}

function stored<T extends KubernetesObject>(objects: readonly KubernetesObject[], kind: string, name: string): T {
  const found = objects.filter((object) => object.kind === kind && object.metadata?.name === name);
  assert.equal(found.length, 1, `one ${kind} ${name} in the API server's answer`);
  return found[0] as T;
}

describe('the Helm chart against the real API server', () => {
  let k8s: KubernetesTestBed;
  // Not the chart's default: deploy.test.ts applies deploy/*.yaml for real into flink-fleet.
  const namespace = `fleet-helm-${randomBytes(3).toString('hex')}`;

  before(async () => {
    k8s = await kubernetesTestBed();
  });

  after(async () => {
    await k8s.kubeConfig.makeApiClient(CoreV1Api).deleteNamespace({ name: namespace }).catch(() => undefined);
  });

  it('renders, with overrides, objects the API server accepts in a server-side dry run, keeps the overrides and writes nothing', async () => {
    const { objects } = renderChart({
      'namespace.name': namespace, replicas: '3', 'resources.limits.memory': '3Gi', 'codecKeys.secretName': 'payload-keys',
      'temporal.tls.secretName': 'temporal-mtls', 'temporal.tls.clientCertificate': 'true', 'temporal.apiKeySecret.name': 'temporal-cloud',
      'storage.credentialsSecret': 'fleet-s3', 'podPlacement.nodeSelector.pool': 'flink',
    });
    // Namespaced objects are checked against a namespace that exists: the chart's own, created for real, Pod Security labels and all.
    const created = kubectl(k8s, ['apply', '--server-side', '--field-manager=flink-fleet-test', '-f', '-'],
      dumpYaml(objects.find((object) => object.kind === 'Namespace')));
    assert.equal(created.status, 0, created.stderr);

    const { stderr, stored: answer } = dryRunApply(k8s, objects.map((object) => dumpYaml(object)).join('---\n'));
    assert.deepEqual(answer.map((object) => `${object.kind}/${object.metadata?.name}`).sort(),
      objects.map((object) => `${object.kind}/${object.metadata?.name}`).sort());
    // The namespace enforces and warns on the restricted profile: the worker's pod template meets it.
    assert.doesNotMatch(stderr, /Warning/, stderr);
    const deployment = stored<V1Deployment>(answer, 'Deployment', 'flink-fleet-worker');
    assert.equal(deployment.spec?.replicas, 3);
    assert.equal(deployment.spec?.template.spec?.containers[0]?.resources?.limits?.memory, '3Gi');
    assert.equal(deployment.spec?.template.spec?.volumes?.find((volume) => volume.name === 'codec-keys')?.secret?.secretName, 'payload-keys');
    assert.equal(deployment.spec?.template.spec?.volumes?.find((volume) => volume.name === 'codec-keys')?.secret?.defaultMode, 0o440);
    // Filled in by the API server's defaulting, so this is its object and not the request echoed.
    assert.equal(deployment.spec?.progressDeadlineSeconds, 600);

    await assert.rejects(k8s.kubeConfig.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'flink-fleet-worker', namespace }),
      (error: unknown) => error instanceof ApiException && error.code === 404);
  });

  it('would have named a pod template that breaks the restricted profile (the check above can fail)', () => {
    const { objects } = renderChart({ 'namespace.name': namespace });
    const deployment = objects.find((object) => object.kind === 'Deployment') as V1Deployment;
    const container = deployment.spec?.template.spec?.containers[0];
    assert.ok(container);
    container.securityContext = { ...container.securityContext, allowPrivilegeEscalation: true };
    const { stderr } = dryRunApply(k8s, dumpYaml(deployment));
    assert.match(stderr, /would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false/);
  });

  it('installs as a Helm release that makes its own namespace, and uninstalls leaving none of its objects', async () => {
    // kwok's nodes run no container, so this shows the chart installs and goes away, not a running worker.
    const release = `fleet-helm-${randomBytes(3).toString('hex')}`;
    const installed = `${release}-ns`;
    const kubeconfig = `--kubeconfig=${k8s.kubeconfigPath}`;
    const install = helm(['install', release, CHART_DIR, kubeconfig, '--namespace=default', `--set=namespace.name=${installed}`, '--set=replicas=1']);
    assert.equal(install.status, 0, install.stderr);
    const apps = k8s.kubeConfig.makeApiClient(AppsV1Api);
    const rbac = k8s.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
    const core = k8s.kubeConfig.makeApiClient(CoreV1Api);
    try {
      assert.equal((await apps.readNamespacedDeployment({ name: 'flink-fleet-worker', namespace: installed })).spec?.replicas, 1);
      assert.equal((await core.readNamespace({ name: installed })).metadata?.labels?.['pod-security.kubernetes.io/enforce'], 'restricted');
      assert.deepEqual((await rbac.readClusterRoleBinding({ name: 'flink-fleet-worker' })).subjects?.map((subject) => subject.namespace), [installed]);
    } finally {
      const uninstall = helm(['uninstall', release, kubeconfig, '--namespace=default', '--wait', '--timeout=2m']);
      assert.equal(uninstall.status, 0, uninstall.stderr);
    }
    const gone = (error: unknown) => error instanceof ApiException && error.code === 404;
    await assert.rejects(rbac.readClusterRole({ name: 'flink-fleet-worker' }), gone);
    await assert.rejects(apps.readNamespacedDeployment({ name: 'flink-fleet-worker', namespace: installed }), gone);
    const left = await core.readNamespace({ name: installed }).catch((error: unknown) => (gone(error) ? undefined : Promise.reject(error)));
    assert.ok(left === undefined || left.metadata?.deletionTimestamp !== undefined, 'the namespace is gone or going');
  });
});
