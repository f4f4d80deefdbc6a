import { existsSync, readFileSync } from 'node:fs';
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
  /** The jar fetcher's jar, which every jar connection's JobManager pod runs first. */
  readonly jarFetcherPath: string;
  readonly onWatchError?: (error: unknown) => void;
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
  // Refused at start rather than at every jar connection's deploy.
  if (!existsSync(settings.jarFetcherPath)) throw new Error(`the jar fetcher is not built: no ${settings.jarFetcherPath} (set FLEET_JAR_FETCHER, or run npm run install-deps -- kubernetes)`);
  return new KubernetesRuntime({
    kubeConfig, storageUri: settings.storageUri, workerNamespace: settings.workerNamespace, defaultImage: settings.defaultImage, objectStorage: settings.objectStorage,
    podPlacement: settings.podPlacement, tenantEgress: settings.tenantEgress, jarFetcher: readFileSync(settings.jarFetcherPath),
    tenantPlan: { ...DEFAULT_TENANT_PLAN, ...settings.tenantPlan },
    restAccess: settings.kubeconfigPath ? { mode: 'api-proxy', server } : { mode: 'service-dns' },
    onWatchError: settings.onWatchError,
  });
}
