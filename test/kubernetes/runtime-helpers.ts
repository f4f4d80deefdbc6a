import { randomBytes } from 'node:crypto';
import { CoreV1Api, KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { CLUSTER_KINDS } from '../../activities/runtime/kubernetes/cleanup';
import { KubernetesRuntime, type KubernetesRuntimeOptions } from '../../activities/runtime/kubernetes/kubernetes-runtime';
import { clusterSelector, MANAGED_BY_SELECTOR } from '../../activities/runtime/kubernetes/manifests/labels';
import type { KubernetesTestBed } from '../../client/dev/kubernetes-control-plane';

const TENANT_KINDS = [['v1', 'ResourceQuota'], ['v1', 'LimitRange'], ['networking.k8s.io/v1', 'NetworkPolicy']] as const;

/**
 * A runtime per test file over the shared control plane, with tenants of random names so that files
 * never meet; every namespace a test's tenant got is deleted after it and leak-checked.
 */
export class RuntimeUnderTest {
  readonly runtime: KubernetesRuntime;
  private readonly namespaces: string[] = [];
  private readonly core: CoreV1Api;
  private readonly objects: KubernetesObjectApi;

  constructor(private readonly k8s: KubernetesTestBed, options: Partial<KubernetesRuntimeOptions> = {}) {
    this.runtime = new KubernetesRuntime({ kubeConfig: k8s.kubeConfig, storageUri: 's3://fleet-test/state',
      restAccess: { mode: 'api-proxy', server: k8s.server }, pollIntervalMs: 250, ...options });
    this.core = k8s.kubeConfig.makeApiClient(CoreV1Api);
    this.objects = KubernetesObjectApi.makeApiClient(k8s.kubeConfig);
  }

  /** A fresh tenant with its guard rails, remembered for cleanup. */
  async tenant(): Promise<{ tenant: string; namespace: string }> {
    const tenant = `t${randomBytes(4).toString('hex')}`;
    const namespace = this.runtime.namespaceOf(tenant);
    this.namespaces.push(namespace);
    await this.runtime.ensureTenant(tenant);
    return { tenant, namespace };
  }

  /** Every object of a cluster, by kind and name, with its resourceVersion. */
  async clusterObjects(namespace: string, cluster: string, kinds = CLUSTER_KINDS): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    for (const [apiVersion, kind] of kinds) {
      const list = await this.objects.list(apiVersion, kind, namespace, undefined, undefined, undefined, undefined, clusterSelector(cluster));
      for (const item of list.items as KubernetesObject[]) found.set(`${kind}/${item.metadata?.name}`, item.metadata?.resourceVersion ?? '');
    }
    return found;
  }

  /** The tenant's own objects (namespace, quota, limits, policies) with their resourceVersions. */
  async tenantObjects(namespace: string): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    const namespaceObject = await this.core.readNamespace({ name: namespace });
    found.set(`Namespace/${namespace}`, namespaceObject.metadata?.resourceVersion ?? '');
    for (const [apiVersion, kind] of TENANT_KINDS) {
      const list = await this.objects.list(apiVersion, kind, namespace, undefined, undefined, undefined, undefined, MANAGED_BY_SELECTOR);
      for (const item of list.items as KubernetesObject[]) found.set(`${kind}/${item.metadata?.name}`, item.metadata?.resourceVersion ?? '');
    }
    return found;
  }

  async cleanUp(): Promise<void> {
    const namespaces = this.namespaces.splice(0);
    for (const name of namespaces) await this.core.deleteNamespace({ name }).catch(() => undefined);
    await this.k8s.assertNoManagedObjectsLeft(namespaces, { graceMs: 60_000 });
  }
}
