import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, NetworkingV1Api } from '@kubernetes/client-node';
import { clusterName } from '../../activities/names';
import { CLUSTER, CLUSTER_KIND, NAME_ANNOTATION, objectNames, tenantLabels } from '../../activities/runtime/kubernetes/manifests/labels';
import { DEFAULT_TENANT_PLAN } from '../../activities/runtime/kubernetes/manifests/tenant';
import { freePort } from '../../activities/runtime/local/ports';
import { waitUntil } from '../../activities/runtime/local/wait';
import type { FlinkRuntime } from '../../activities/runtime/types';
import { newCodecKey } from '../../client/codec/keys';
import { InvalidWorkerConfig, parseWorkerConfig } from '../../worker/config';
import { createRuntime } from '../../worker/runtime';
import { kubernetesTestBed } from '../harness/global';
import { newStateDir } from '../harness/state';
import { sqlPipeline } from './fixtures';

const KEYS = { FLEET_CODEC_KEYS: newCodecKey('k1') };

/** Runs `body` on a new tenant of `runtime`, ensured as a job's start would; its namespace is deleted afterwards. */
async function withTenant(runtime: FlinkRuntime, prefix: string, body: (tenant: string, namespace: string) => Promise<void>): Promise<void> {
  const tenant = `${prefix}-${randomBytes(3).toString('hex')}`;
  const namespace = `flink-fleet-${tenant}`;
  try {
    await runtime.ensureTenant(tenant);
    await body(tenant, namespace);
  } finally {
    await (await kubernetesTestBed()).kubeConfig.makeApiClient(CoreV1Api).deleteNamespace({ name: namespace });
  }
}

describe('a worker configured for the kubernetes runtime', () => {
  it('names what is missing: the storage and, outside a pod, the kubeconfig', () => {
    assert.throws(() => parseWorkerConfig({ FLEET_RUNTIME: 'kubernetes' }), (error: unknown) => {
      assert.ok(error instanceof InvalidWorkerConfig);
      assert.match(error.message, /FLEET_STORAGE_URI: is required with FLEET_RUNTIME=kubernetes/);
      assert.match(error.message, /FLEET_KUBECONFIG: is required with FLEET_RUNTIME=kubernetes outside a Kubernetes pod/);
      return true;
    });
    assert.throws(() => parseWorkerConfig({ FLEET_RUNTIME: 'kubernetes', FLEET_STORAGE_URI: 's3://b/p', FLEET_KUBECONFIG: '/nonexistent/kubeconfig' }),
      /FLEET_KUBECONFIG: must name an existing kubeconfig file/);
  });

  it('uses the pod\'s own credentials inside a cluster', () => {
    const config = parseWorkerConfig({ ...KEYS, FLEET_RUNTIME: 'kubernetes', FLEET_STORAGE_URI: 's3://b/p', KUBERNETES_SERVICE_HOST: '10.96.0.1' });
    assert.equal(config.FLEET_WORKER_NAMESPACE, 'flink-fleet');
  });

  it('takes S3 credentials only as a pair, and hands them to each tenant through a Secret of its namespace', async () => {
    assert.throws(() => parseWorkerConfig({ FLEET_RUNTIME: 'kubernetes', FLEET_STORAGE_URI: 's3://b/p', KUBERNETES_SERVICE_HOST: '10.96.0.1',
      FLEET_S3_ACCESS_KEY_ID: 'only-the-key' }), /FLEET_S3_SECRET_ACCESS_KEY: FLEET_S3_ACCESS_KEY_ID and FLEET_S3_SECRET_ACCESS_KEY go together/);
    assert.throws(() => parseWorkerConfig({ FLEET_RUNTIME: 'kubernetes', FLEET_STORAGE_URI: 's3://b/p', KUBERNETES_SERVICE_HOST: '10.96.0.1',
      FLEET_S3_ENDPOINT: 'ftp://storage' }), /FLEET_S3_ENDPOINT: must be an http\(s\) URL/);
    const k8s = await kubernetesTestBed();
    const runtime = createRuntime(parseWorkerConfig({ ...KEYS, FLEET_RUNTIME: 'kubernetes', FLEET_STORAGE_URI: 's3://b/p', FLEET_KUBECONFIG: k8s.kubeconfigPath,
      FLEET_S3_ENDPOINT: 'http://192.0.2.9:7070', FLEET_S3_ACCESS_KEY_ID: 'fleet-key', FLEET_S3_SECRET_ACCESS_KEY: 'fleet-secret' }));
    await withTenant(runtime, 's3', async (_, namespace) => {
      const secret = await k8s.kubeConfig.makeApiClient(CoreV1Api).readNamespacedSecret({ name: 'flink-fleet-storage', namespace });
      const decoded = Object.fromEntries(Object.entries(secret.data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64').toString()]));
      assert.deepEqual(decoded, { AWS_ACCESS_KEY_ID: 'fleet-key', AWS_SECRET_ACCESS_KEY: 'fleet-secret' });
    });
  });

  it('takes a pod placement as JSON and names what is wrong with a bad one', () => {
    const base = { ...KEYS, FLEET_RUNTIME: 'kubernetes', FLEET_STORAGE_URI: 's3://b/p', KUBERNETES_SERVICE_HOST: '10.96.0.1' };
    const placement = { nodeSelector: { pool: 'flink' }, tolerations: [{ key: 'pool', operator: 'Equal', value: 'flink', effect: 'NoSchedule' }] };
    assert.deepEqual(parseWorkerConfig({ ...base, FLEET_POD_PLACEMENT: JSON.stringify(placement) }).FLEET_POD_PLACEMENT, placement);
    assert.throws(() => parseWorkerConfig({ ...base, FLEET_POD_PLACEMENT: '{nodeSelector' }), /FLEET_POD_PLACEMENT: must be JSON/);
    assert.throws(() => parseWorkerConfig({ ...base, FLEET_POD_PLACEMENT: '{"tolerations": [{"effect": "Sometimes"}]}' }), /FLEET_POD_PLACEMENT\.tolerations\.0\.effect/);
  });

  it('takes tenants\' egress as JSON, names what is wrong with a bad one, and walls each tenant\'s namespace with it', async () => {
    const base = { ...KEYS, FLEET_RUNTIME: 'kubernetes', FLEET_STORAGE_URI: 's3://b/p', KUBERNETES_SERVICE_HOST: '10.96.0.1' };
    const egress = { dns: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
      apiServer: [{ cidr: '10.0.0.1/32', port: 6443 }], objectStorage: [{ cidr: '192.0.2.0/24', port: 443 }] };
    assert.deepEqual(parseWorkerConfig({ ...base, FLEET_TENANT_EGRESS: JSON.stringify(egress) }).FLEET_TENANT_EGRESS, egress);
    assert.equal(parseWorkerConfig(base).FLEET_TENANT_EGRESS, undefined);
    assert.throws(() => parseWorkerConfig({ ...base, FLEET_TENANT_EGRESS: '{dns' }), /FLEET_TENANT_EGRESS: must be JSON/);
    assert.throws(() => parseWorkerConfig({ ...base, FLEET_TENANT_EGRESS: JSON.stringify({ ...egress, apiServer: [{ cidr: 'api.example.com', port: 443 }] }) }),
      /FLEET_TENANT_EGRESS\.apiServer\.0\.cidr: must be a CIDR/);
    assert.throws(() => parseWorkerConfig({ ...base, FLEET_TENANT_EGRESS: JSON.stringify({ ...egress, dns: [] }) }), /FLEET_TENANT_EGRESS\.dns: must name the cluster DNS/);
    assert.throws(() => parseWorkerConfig({ ...base, FLEET_TENANT_EGRESS: JSON.stringify({ ...egress, internet: true }) }), /FLEET_TENANT_EGRESS/);
    const k8s = await kubernetesTestBed();
    const runtime = createRuntime(parseWorkerConfig({ ...KEYS, FLEET_RUNTIME: 'kubernetes', FLEET_STORAGE_URI: 's3://b/p', FLEET_KUBECONFIG: k8s.kubeconfigPath,
      FLEET_TENANT_EGRESS: JSON.stringify(egress) }));
    await withTenant(runtime, 'eg', async (_, namespace) => {
      const policy = await k8s.kubeConfig.makeApiClient(NetworkingV1Api).readNamespacedNetworkPolicy({ name: 'flink-fleet-egress', namespace });
      assert.deepEqual(JSON.parse(JSON.stringify(policy.spec)) as unknown, { podSelector: {}, policyTypes: ['Egress'], egress: [
        { to: [{ podSelector: {} }] },
        { to: egress.dns, ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] },
        { to: [{ ipBlock: { cidr: '10.0.0.1/32' } }], ports: [{ protocol: 'TCP', port: 6443 }] },
        { to: [{ ipBlock: { cidr: '192.0.2.0/24' } }], ports: [{ protocol: 'TCP', port: 443 }] },
      ] });
    });
  });

  it('takes the tenant plan as JSON over the defaults, and every pod of a tenant\'s cluster carries its bandwidth and RuntimeClass', async () => {
    const plan = { pods: 12, podBandwidth: { ingressMbit: 200, egressMbit: 100 }, runtimeClassName: 'runc-sandbox' };
    const k8s = await kubernetesTestBed();
    const runtime = createRuntime(parseWorkerConfig({ ...KEYS, FLEET_RUNTIME: 'kubernetes', FLEET_STORAGE_URI: 's3://b/p', FLEET_KUBECONFIG: k8s.kubeconfigPath,
      FLEET_TENANT_PLAN: JSON.stringify(plan) }));
    await withTenant(runtime, 'pl', async (tenant, namespace) => {
      const quota = await k8s.kubeConfig.makeApiClient(CoreV1Api).readNamespacedResourceQuota({ name: 'flink-fleet-quota', namespace });
      assert.equal(quota.spec?.hard?.pods, '12');
      // The API server writes whole cores as such.
      assert.equal(quota.spec?.hard?.['requests.cpu'], String(DEFAULT_TENANT_PLAN.cpu), 'what the plan does not name stays the default');
      const spec = sqlPipeline(tenant, 'shaped');
      await runtime.deployApplicationCluster(spec).catch(() => undefined);
      const pods = await waitUntil('the cluster\'s pods', async () => {
        const found = (await k8s.kubeConfig.makeApiClient(CoreV1Api).listNamespacedPod({ namespace })).items;
        return found.length === 2 ? found : undefined;
      }, { timeoutMs: 60_000, intervalMs: 250 });
      for (const pod of pods) {
        assert.deepEqual([pod.metadata?.annotations?.['kubernetes.io/ingress-bandwidth'], pod.metadata?.annotations?.['kubernetes.io/egress-bandwidth'],
          pod.spec?.runtimeClassName], ['200M', '100M', 'runc-sandbox'], pod.metadata?.name);
      }
      await runtime.deleteCluster(spec);
    });
  });

  it('lists the clusters recorded on the API server its kubeconfig names', async () => {
    const k8s = await kubernetesTestBed();
    const runtime = createRuntime(parseWorkerConfig({ ...KEYS, FLEET_RUNTIME: 'kubernetes', FLEET_STORAGE_URI: 's3://b/p', FLEET_KUBECONFIG: k8s.kubeconfigPath }));
    assert.equal(runtime.kind, 'kubernetes');
    assert.equal(runtime.storageUri({ tenant: 'acme', name: 'orders' }), 's3://b/p/acme/acme--orders');
    const tenant = `wc${randomBytes(4).toString('hex')}`;
    const cluster = clusterName(tenant, 'orders');
    const namespace = await k8s.createTestNamespace('worker-config');
    const core = k8s.kubeConfig.makeApiClient(CoreV1Api);
    try {
      // A cluster's root ConfigMap, written straight to the API server, is what the runtime lists.
      const root = await core.createNamespacedConfigMap({ namespace, body: { metadata: {
        name: objectNames(cluster).config, labels: { ...tenantLabels(tenant), [CLUSTER]: cluster, [CLUSTER_KIND]: 'application' },
        annotations: { [NAME_ANNOTATION]: 'orders' },
      } } });
      const listed = (await runtime.listClusters()).filter((c) => c.tenant === tenant);
      assert.deepEqual(listed, [{ tenant, name: 'orders', cluster, kind: 'application', createdAt: new Date(root.metadata?.creationTimestamp ?? 0).toISOString() }]);
    } finally {
      await core.deleteNamespace({ name: namespace });
    }
  });

  it('fails to list clusters when its kubeconfig names an API server that is not there', async () => {
    const k8s = await kubernetesTestBed();
    const elsewhere = join(newStateDir('worker-config'), 'kubeconfig');
    const port = await freePort();
    writeFileSync(elsewhere, readFileSync(k8s.kubeconfigPath, 'utf8').replaceAll(k8s.server, `https://127.0.0.1:${port}`));
    const runtime = createRuntime(parseWorkerConfig({ ...KEYS, FLEET_RUNTIME: 'kubernetes', FLEET_STORAGE_URI: 's3://b/p', FLEET_KUBECONFIG: elsewhere }));
    await assert.rejects(runtime.listClusters(), {
      name: 'FetchError', code: 'ECONNREFUSED', message: new RegExp(`request to https://127\\.0\\.0\\.1:${port}/api/v1 failed`),
    });
  });
});
