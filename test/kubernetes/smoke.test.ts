import assert from 'node:assert/strict';
import { ApiException, AppsV1Api, CoordinationV1Api, CoreV1Api, type V1Container, type V1Deployment, type V1Pod } from '@kubernetes/client-node';
import { waitUntil } from '../../activities/runtime/local/wait';
import { ROOMY_NODES, TINY_NODE, TINY_NODE_SELECTOR, TINY_NODE_TOLERATION, type KubernetesTestBed } from '../../client/dev/kubernetes-control-plane';
import { kubernetesTestBed } from '../harness/global';

const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'flink-fleet' };
const WAIT = { timeoutMs: 60_000, intervalMs: 250 };

/** kwok runs no containers, so the image is never pulled; it only has to be a valid reference. */
function container(cpu: string, memory: string, extra: Partial<V1Container> = {}): V1Container {
  return { name: 'main', image: 'flink:2.3.0', resources: { requests: { cpu, memory }, limits: { cpu, memory } }, ...extra };
}

function pod(name: string, main: V1Container, placement: Pick<NonNullable<V1Pod['spec']>, 'nodeSelector' | 'tolerations'> = {}): V1Pod {
  return { metadata: { name, labels: { ...MANAGED_BY, app: name } }, spec: { containers: [main], ...placement } };
}

function deployment(name: string, replicas: number): V1Deployment {
  const labels = { ...MANAGED_BY, app: name };
  return {
    metadata: { name, labels },
    spec: { replicas, selector: { matchLabels: { app: name } },
      template: { metadata: { labels }, spec: { containers: [container('500m', '1Gi')] } } },
  };
}

/** The refusal of a request that must fail, with the apiserver's own message. */
async function refusal(request: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await request;
  } catch (error) {
    if (!(error instanceof ApiException)) throw error;
    const body: unknown = typeof error.body === 'string' ? JSON.parse(error.body) : error.body;
    const message = typeof body === 'object' && body !== null && 'message' in body ? String(body.message) : String(error.body);
    return { code: error.code, message };
  }
  assert.fail('the apiserver accepted a request it should have refused');
}

describe('the Kubernetes control plane built from source', () => {
  let k8s: KubernetesTestBed;
  let core: CoreV1Api;
  let apps: AppsV1Api;
  const namespaces: string[] = [];

  before(async () => {
    k8s = await kubernetesTestBed();
    core = k8s.kubeConfig.makeApiClient(CoreV1Api);
    apps = k8s.kubeConfig.makeApiClient(AppsV1Api);
  });

  afterEach(async () => {
    for (const name of namespaces.splice(0)) await core.deleteNamespace({ name });
  });

  async function testNamespace(labels?: Record<string, string>): Promise<string> {
    const name = await k8s.createTestNamespace('smoke', labels);
    namespaces.push(name);
    return name;
  }

  async function waitForReadyReplicas(namespace: string, name: string, replicas: number): Promise<void> {
    await waitUntil(`deployment ${namespace}/${name} ready`, async () => {
      const current = await apps.readNamespacedDeployment({ name, namespace });
      return current.status?.readyReplicas === replicas ? true : undefined;
    }, WAIT);
  }

  async function failedScheduling(namespace: string, name: string): Promise<string> {
    return waitUntil(`FailedScheduling event for ${namespace}/${name}`, async () => {
      const events = await core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${name},reason=FailedScheduling` });
      return events.items[0]?.message;
    }, WAIT);
  }

  it('schedules a Deployment with resource requests onto kwok nodes and reports its pods Ready', async () => {
    const namespace = await testNamespace();
    await apps.createNamespacedDeployment({ namespace, body: deployment('web', 3) });
    await waitForReadyReplicas(namespace, 'web', 3);
    const pods = await core.listNamespacedPod({ namespace, labelSelector: 'app=web' });
    assert.equal(pods.items.length, 3);
    for (const p of pods.items) {
      assert.ok(ROOMY_NODES.some((node) => node === p.spec?.nodeName), `${p.metadata?.name} on ${p.spec?.nodeName}`);
      assert.equal(p.status?.phase, 'Running');
      assert.ok(p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    }
  });

  it('keeps every fake node\'s lease renewed, so the node lifecycle controller never finds one Unknown', async () => {
    // Without leases a kwok node turned Unknown every ~55 s and the pods created then stayed not Ready.
    const leases = k8s.kubeConfig.makeApiClient(CoordinationV1Api);
    const renewedAfter = Date.now();
    for (const name of [...ROOMY_NODES, TINY_NODE]) {
      const renewed = await waitUntil(`the lease of ${name} renewed`, async () => {
        const lease = await leases.readNamespacedLease({ name, namespace: 'kube-node-lease' }).catch(() => undefined);
        // The client leaves MicroTime as the apiserver's string.
        const at = lease?.spec?.renewTime === undefined ? undefined : new Date(String(lease.spec.renewTime)).getTime();
        return at !== undefined && at >= renewedAfter - 1_000 ? lease : undefined;
      }, { timeoutMs: 30_000, intervalMs: 500 });
      assert.equal(renewed.spec?.leaseDurationSeconds, 40);
    }
  });

  it('admits a pod within the namespace ResourceQuota and refuses one over it with 403 Forbidden', async () => {
    const namespace = await testNamespace();
    const hard = { 'requests.cpu': '1', 'requests.memory': '1Gi', 'limits.cpu': '1', 'limits.memory': '1Gi' };
    await core.createNamespacedResourceQuota({ namespace, body: { metadata: { name: 'tenant', labels: MANAGED_BY }, spec: { hard } } });
    // Quota admission refuses every pod until the controller-manager has computed the quota's status.
    await waitUntil('quota status', async () => (await core.readNamespacedResourceQuota({ name: 'tenant', namespace })).status?.hard,
      WAIT);
    await core.createNamespacedPod({ namespace, body: pod('small', container('500m', '512Mi')) });
    const { code, message } = await refusal(core.createNamespacedPod({ namespace, body: pod('big', container('2', '512Mi')) }));
    assert.equal(code, 403);
    assert.match(message, /exceeded quota: tenant/);
  });

  it('refuses a privileged pod in a namespace that enforces Pod Security restricted', async () => {
    const namespace = await testNamespace({ 'pod-security.kubernetes.io/enforce': 'restricted' });
    const privileged = container('100m', '128Mi', { securityContext: { privileged: true } });
    const { code, message } = await refusal(core.createNamespacedPod({ namespace, body: pod('root', privileged) }));
    assert.equal(code, 403);
    assert.match(message, /violates PodSecurity "restricted:latest": privileged/);
  });

  it('garbage-collects the ReplicaSet and pods of a Deployment deleted with foreground propagation', async () => {
    const namespace = await testNamespace();
    await apps.createNamespacedDeployment({ namespace, body: deployment('doomed', 2) });
    await waitForReadyReplicas(namespace, 'doomed', 2);
    await apps.deleteNamespacedDeployment({ name: 'doomed', namespace, propagationPolicy: 'Foreground' });
    await waitUntil('the Deployment, its ReplicaSet and its pods gone', async () => {
      const [deployments, replicaSets, pods] = await Promise.all([
        apps.listNamespacedDeployment({ namespace }),
        apps.listNamespacedReplicaSet({ namespace, labelSelector: 'app=doomed' }),
        core.listNamespacedPod({ namespace, labelSelector: 'app=doomed' }),
      ]);
      return deployments.items.length + replicaSets.items.length + pods.items.length === 0 ? true : undefined;
    }, WAIT);
    await k8s.assertNoManagedObjectsLeft([namespace], { graceMs: 0 });
  });

  it('leaves a pod that fits on no node Pending with a FailedScheduling event', async () => {
    const namespace = await testNamespace();
    await core.createNamespacedPod({ namespace, body: pod('huge', container('64', '1Gi')) });
    assert.match(await failedScheduling(namespace, 'huge'), /Insufficient cpu/);
    const current = await core.readNamespacedPod({ name: 'huge', namespace });
    assert.equal(current.status?.phase, 'Pending');
    assert.ok(current.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable'));
  });

  it('runs a small pod that selects the tiny node there, and leaves a 1-CPU one Pending', async () => {
    const namespace = await testNamespace();
    const onTiny = { nodeSelector: { ...TINY_NODE_SELECTOR }, tolerations: [TINY_NODE_TOLERATION] };
    await core.createNamespacedPod({ namespace, body: pod('small', container('100m', '128Mi'), onTiny) });
    await core.createNamespacedPod({ namespace, body: pod('too-big', container('1', '128Mi'), onTiny) });
    const small = await waitUntil('small pod Running', async () => {
      const current = await core.readNamespacedPod({ name: 'small', namespace });
      return current.status?.phase === 'Running' ? current : undefined;
    }, WAIT);
    assert.equal(small.spec?.nodeName, TINY_NODE);
    assert.match(await failedScheduling(namespace, 'too-big'), /Insufficient cpu/);
  });

  it('fails the leak check naming a labelled object left behind', async () => {
    const namespace = await testNamespace();
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'forgotten', labels: MANAGED_BY } } });
    await assert.rejects(k8s.assertNoManagedObjectsLeft([namespace], { graceMs: 0 }), new RegExp(`ConfigMap ${namespace}/forgotten`));
  });
});
