import { KubeConfig } from '@kubernetes/client-node';
import { KubernetesRuntime } from './kubernetes-runtime';
import type { ObjectStorage } from './manifests/storage';
import type { PodPlacement } from './manifests/container';
import { DEFAULT_TENANT_PLAN, type TenantEgress, type TenantPlan } from './manifests/tenant';

export interface KubernetesWorkerSettings {
  /** A kubeconfig file; without one, the pod's ServiceAccount credentials. */
  readonly kubeconfigPath?: string;
  readonly storageUri: string;
  readonly workerNamespace: string;
  readonly defaultImage?: string;
  readonly objectStorage?: ObjectStorage;
  readonly podPlacement?: PodPlacement;
  readonly tenantEgress?: TenantEgress;
  /** What differs from DEFAULT_TENANT_PLAN. */
  readonly tenantPlan?: Partial<TenantPlan>;
}

/**
 * A worker inside the cluster reaches Flink by Service DNS; one outside it (a laptop with a
 * kubeconfig) has no route into the pod network and goes through the API server's service proxy.
 */
export function kubernetesRuntimeFromEnvironment(settings: KubernetesWorkerSettings): KubernetesRuntime {
  const kubeConfig = new KubeConfig();
  if (settings.kubeconfigPath) kubeConfig.loadFromFile(settings.kubeconfigPath);
  else kubeConfig.loadFromCluster();
  const server = kubeConfig.getCurrentCluster()?.server;
  if (!server) throw new Error(`the kubeconfig ${settings.kubeconfigPath ?? '(in-cluster)'} names no current cluster`);
  return new KubernetesRuntime({
    kubeConfig, storageUri: settings.storageUri, workerNamespace: settings.workerNamespace, defaultImage: settings.defaultImage, objectStorage: settings.objectStorage,
    podPlacement: settings.podPlacement, tenantEgress: settings.tenantEgress,
    tenantPlan: { ...DEFAULT_TENANT_PLAN, ...settings.tenantPlan },
    restAccess: settings.kubeconfigPath ? { mode: 'api-proxy', server } : { mode: 'service-dns' },
  });
}
