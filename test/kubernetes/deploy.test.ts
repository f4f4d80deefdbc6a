import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ApiException, AuthorizationV1Api, CoreV1Api, KubeConfig, KubernetesObjectApi, loadAllYaml, PatchStrategy, type KubernetesObject,
} from '@kubernetes/client-node';
import { waitUntil } from '../../activities/runtime/local/wait';
import type { KubernetesTestBed } from '../../client/dev/kubernetes-control-plane';
import { sessionCluster, sqlPipeline } from './fixtures';
import { RuntimeUnderTest } from './runtime-helpers';
import { kubernetesTestBed } from '../harness/global';

const DEPLOY_DIR = join(__dirname, '..', '..', 'deploy');
const WORKER = 'system:serviceaccount:flink-fleet:flink-fleet-worker';

function deployObjects(): KubernetesObject[] {
  return readdirSync(DEPLOY_DIR).filter((file) => file.endsWith('.yaml')).sort()
    .flatMap((file) => loadAllYaml(readFileSync(join(DEPLOY_DIR, file), 'utf8')) as KubernetesObject[]);
}

/** The test bed's admin, acting as the worker's ServiceAccount: every request is authorized as the worker's. */
function asWorker(admin: KubeConfig): KubeConfig {
  const impersonating = new KubeConfig();
  impersonating.loadFromString(admin.exportConfig());
  const user = impersonating.getCurrentUser();
  assert.ok(user);
  impersonating.users = [{ ...user, impersonateUser: WORKER }];
  return impersonating;
}

/** A new admission policy takes a moment to be loaded by the API server: until then the worker's create succeeds. */
async function thePolicyRefusesAnUnlabelledCreate(worker: KubernetesObjectApi, namespace: string): Promise<string> {
  const stranger = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'not-the-fleets', namespace } };
  return waitUntil('the admission policy to refuse an unlabelled ConfigMap', async () => {
    try {
      await worker.create(stranger);
      await worker.delete(stranger);
      return undefined;
    } catch (error) {
      return error instanceof ApiException && error.code === 403 ? String(error.body) : undefined;
    }
  }, { timeoutMs: 30_000, intervalMs: 500 });
}

/** Refused by the admission policy (not by RBAC, which allows every verb used here), with this message. */
function forbiddenBecause(message: RegExp): (error: unknown) => boolean {
  return (error: unknown) => error instanceof ApiException && error.code === 403
    && /ValidatingAdmissionPolicy 'flink-fleet-worker-scope' with binding 'flink-fleet-worker-scope' denied request/.test(String(error.body)) && message.test(String(error.body));
}

describe('the worker manifests in deploy/', () => {
  let k8s: KubernetesTestBed;
  let objects: KubernetesObjectApi;
  let authorization: AuthorizationV1Api;
  let applied: KubernetesObject[] = [];

  before(async () => {
    k8s = await kubernetesTestBed();
    objects = KubernetesObjectApi.makeApiClient(k8s.kubeConfig);
    authorization = k8s.kubeConfig.makeApiClient(AuthorizationV1Api);
    // Namespaces first; the Deployment only dry-run: the image does not exist here, and kwok would run nothing anyway.
    applied = deployObjects().sort((a, b) => Number(b.kind === 'Namespace') - Number(a.kind === 'Namespace'));
    for (const object of applied) {
      const dryRun = object.kind === 'Deployment' ? 'All' : undefined;
      await objects.patch(object, undefined, dryRun, 'flink-fleet-test', true, PatchStrategy.ServerSideApply);
    }
  });

  after(async () => {
    for (const object of [...applied].reverse()) {
      if (object.kind !== 'Deployment') await objects.delete(object).catch(() => undefined);
    }
  });

  async function workerMay(verb: string, resource: string, namespace?: string, group = ''): Promise<boolean> {
    const review = await authorization.createSubjectAccessReview({ body: { spec: { user: WORKER, resourceAttributes: { verb, resource, group, namespace } } } });
    return review.status?.allowed === true;
  }

  it('lets the worker do what its activities do, in any tenant namespace', async () => {
    const needed: ReadonlyArray<readonly [string, string, string?]> = [
      ['patch', 'namespaces'], ['create', 'namespaces'], ['get', 'resourcequotas'], ['patch', 'limitranges'],
      ['patch', 'networkpolicies', 'networking.k8s.io'], ['patch', 'deployments', 'apps'], ['delete', 'deployments', 'apps'],
      ['list', 'replicasets', 'apps'], ['create', 'pods'], ['delete', 'pods'], ['get', 'configmaps'], ['list', 'events'],
      ['patch', 'roles', 'rbac.authorization.k8s.io'], ['patch', 'rolebindings', 'rbac.authorization.k8s.io'], ['delete', 'services'],
    ];
    for (const [verb, resource, group] of needed) {
      const namespace = resource === 'namespaces' ? undefined : 'flink-fleet-acme';
      assert.ok(await workerMay(verb, resource, namespace, group), `${verb} ${resource}`);
    }
  });

  it('does not let the worker read Secrets anywhere, nor widen its own rights', async () => {
    const forbidden: ReadonlyArray<readonly [string, string, string | undefined, string?]> = [
      ['get', 'secrets', 'kube-system'], ['list', 'secrets', 'flink-fleet-acme'], ['list', 'secrets', undefined], ['get', 'secrets', 'flink-fleet'],
      ['delete', 'namespaces', undefined], ['create', 'clusterroles', undefined, 'rbac.authorization.k8s.io'],
      ['create', 'clusterrolebindings', undefined, 'rbac.authorization.k8s.io'], ['escalate', 'roles', 'flink-fleet-acme', 'rbac.authorization.k8s.io'],
      ['bind', 'clusterroles', undefined, 'rbac.authorization.k8s.io'], ['create', 'pods/exec', 'flink-fleet-acme'], ['update', 'nodes', undefined],
      ['patch', 'secrets', 'flink-fleet-acme'],
    ];
    for (const [verb, resource, namespace, group] of forbidden) {
      const [name, subresource] = resource.split('/');
      const review = await authorization.createSubjectAccessReview({
        body: { spec: { user: WORKER, resourceAttributes: { verb, resource: name, subresource, group: group ?? '', namespace } } } });
      assert.equal(review.status?.allowed, false, `${verb} ${resource} in ${namespace ?? 'the cluster'}`);
    }
  });

  it('is enough for a whole cluster lifecycle run as the worker, and stops it from writing what is not the fleet\'s', async () => {
    const bed = new RuntimeUnderTest(k8s, { kubeConfig: asWorker(k8s.kubeConfig),
      objectStorage: { endpoint: 'http://192.0.2.9:7070', credentials: { accessKeyId: 'fleet-key', secretAccessKey: 'fleet-secret' } } });
    try {
      const { tenant, namespace } = await bed.tenant();
      await bed.runtime.deployApplicationCluster(sqlPipeline(tenant, 'orders'));
      const session = sessionCluster(tenant, 'previews');
      await bed.runtime.deploySessionCluster(session);
      await bed.runtime.addTaskManager(session, 'tm-one');
      await bed.runtime.killTaskManager(session, 'tm-one');
      assert.equal((await bed.runtime.observe(session)).health, 'running');
      assert.equal((await bed.runtime.listClusters()).filter((c) => c.tenant === tenant).length, 2);
      await bed.runtime.deleteCluster(session);
      await bed.runtime.deleteCluster({ tenant, name: 'orders' });

      const worker = KubernetesObjectApi.makeApiClient(asWorker(k8s.kubeConfig));
      await assert.rejects(worker.list('v1', 'Secret', namespace), (error: unknown) => error instanceof ApiException && error.code === 403);
      // It wrote the storage Secret (the tenant's ensureTenant ran as the worker) and can read none back.
      assert.ok(await k8s.kubeConfig.makeApiClient(CoreV1Api).readNamespacedSecret({ name: 'flink-fleet-storage', namespace }));
      await assert.rejects(worker.read({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'flink-fleet-storage', namespace } }),
        (error: unknown) => error instanceof ApiException && error.code === 403);
      const refusal = await thePolicyRefusesAnUnlabelledCreate(worker, namespace);
      assert.match(refusal, /writes only objects labelled app\.kubernetes\.io\/managed-by=flink-fleet/);
      const core = k8s.kubeConfig.makeApiClient(CoreV1Api);
      await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'someone-elses' } } });
      try {
        await assert.rejects(worker.delete({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'someone-elses', namespace: 'default' } }),
          (error: unknown) => error instanceof ApiException && error.code === 403);
      } finally {
        await core.deleteNamespacedConfigMap({ name: 'someone-elses', namespace: 'default' });
      }
    } finally {
      await bed.cleanUp();
    }
  });

  it('does not let the worker adopt, delete or relabel into another tenant an object that is not its own, nor another Flink\'s HA data, while it may still change its own', async () => {
    const bed = new RuntimeUnderTest(k8s, { kubeConfig: asWorker(k8s.kubeConfig) });
    const core = k8s.kubeConfig.makeApiClient(CoreV1Api);
    const worker = KubernetesObjectApi.makeApiClient(asWorker(k8s.kubeConfig));
    try {
      const { tenant, namespace } = await bed.tenant();
      await thePolicyRefusesAnUnlabelledCreate(worker, namespace);
      const fleetLabels = { 'app.kubernetes.io/managed-by': 'flink-fleet', 'flink-fleet/tenant': tenant };
      const notAdopted = /changes or deletes only objects that were already labelled app\.kubernetes\.io\/managed-by=flink-fleet/;

      await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'someone-elses' }, data: { owner: 'someone' } } });
      try {
        const adopted = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'someone-elses', namespace: 'default', labels: fleetLabels } };
        await assert.rejects(worker.patch(adopted, undefined, undefined, 'flink-fleet', true, PatchStrategy.ServerSideApply), forbiddenBecause(notAdopted));
        await assert.rejects(worker.patch(adopted, undefined, undefined, 'flink-fleet', undefined, PatchStrategy.MergePatch), forbiddenBecause(notAdopted));
        await assert.rejects(worker.replace({ ...adopted, data: { owner: 'flink-fleet' } }), forbiddenBecause(notAdopted));
        await assert.rejects(worker.delete(adopted), forbiddenBecause(notAdopted));
        const untouched = await core.readNamespacedConfigMap({ name: 'someone-elses', namespace: 'default' });
        assert.deepEqual([untouched.metadata?.labels, untouched.data], [undefined, { owner: 'someone' }]);
      } finally {
        await core.deleteNamespacedConfigMap({ name: 'someone-elses', namespace: 'default' });
      }

      const own = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'the-fleets', namespace, labels: fleetLabels }, data: { step: 'created' } };
      await worker.patch(own, undefined, undefined, 'flink-fleet', true, PatchStrategy.ServerSideApply);
      await worker.patch({ ...own, data: { step: 'changed' } }, undefined, undefined, 'flink-fleet', true, PatchStrategy.ServerSideApply);
      const moved = { ...own, metadata: { ...own.metadata, labels: { ...fleetLabels, 'flink-fleet/tenant': `${tenant}2` } } };
      const notMoved = /cannot move an object to another tenant: its flink-fleet\/tenant label may not change/;
      await assert.rejects(worker.patch(moved, undefined, undefined, 'flink-fleet', true, PatchStrategy.ServerSideApply), forbiddenBecause(notMoved));
      const unlabelled = { ...own, metadata: { ...own.metadata, labels: { 'app.kubernetes.io/managed-by': 'flink-fleet' } } };
      await assert.rejects(worker.replace(unlabelled), forbiddenBecause(notMoved));
      const kept = await core.readNamespacedConfigMap({ name: 'the-fleets', namespace });
      assert.deepEqual([kept.metadata?.labels?.['flink-fleet/tenant'], kept.data], [tenant, { step: 'changed' }]);
      await worker.delete(own);

      // Flink's HA ConfigMaps carry Flink's labels, not the fleet's: the worker may delete them in a tenant's namespace only.
      const highAvailability = { name: 'some-job-cluster-config-map', labels: { 'configmap-type': 'high-availability', type: 'flink-native-kubernetes' } };
      await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: highAvailability } });
      try {
        await assert.rejects(worker.delete({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: highAvailability.name, namespace: 'default' } }),
          forbiddenBecause(notAdopted));
      } finally {
        // Gone already if the worker could delete it: the assertion above says so, not this 404.
        await core.deleteNamespacedConfigMap({ name: highAvailability.name, namespace: 'default' }).catch(() => undefined);
      }
      await core.createNamespacedConfigMap({ namespace, body: { metadata: highAvailability } });
      await worker.delete({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: highAvailability.name, namespace } });
      // Flink 2.3's own, as it labelled it on the real node: no configmap-type.
      const flink23 = { name: 'orders-cluster-config-map', labels: { app: 'orders', type: 'flink-native-kubernetes' } };
      await core.createNamespacedConfigMap({ namespace, body: { metadata: flink23 } });
      await worker.delete({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: flink23.name, namespace } });
    } finally {
      await bed.cleanUp();
    }
  });

  it('loads the admission policy with no expression the API server\'s type check warns about', async () => {
    type Checked = KubernetesObject & { status?: { typeChecking?: { expressionWarnings?: Array<{ fieldRef: string; warning: string }> } } };
    const reference = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', metadata: { name: 'flink-fleet-worker-scope' } };
    const checked = await waitUntil('the policy type-checked', async () => {
      const policy = await objects.read(reference) as Checked;
      return policy.status?.typeChecking ? policy.status.typeChecking : undefined;
    }, { timeoutMs: 30_000, intervalMs: 500 });
    assert.deepEqual(checked.expressionWarnings ?? [], []);
  });
});
