import type * as KubernetesFromEnvironment from '../activities/runtime/kubernetes/from-environment';
import { LocalRuntime } from '../activities/runtime/local/local-runtime';
import type { FlinkRuntime } from '../activities/runtime/types';
import type { Logger } from 'pino';
import type { WorkerConfig } from './config';

/**
 * Chosen once, at start; nothing above the activities knows which runtime it is. The Kubernetes
 * runtime is loaded only when chosen: its client library is most of a local worker's start (6 of 10 s
 * at load 15), which the tests, the demo and the dev stack pay at every worker start. A require, since
 * tsx hands `import()` to Node's ESM loader, which cannot resolve this repo's TypeScript paths.
 */
export function createRuntime(config: WorkerConfig, logger?: Logger): FlinkRuntime {
  if (config.FLEET_RUNTIME === 'kubernetes') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { kubernetesRuntimeFromEnvironment } = require('../activities/runtime/kubernetes/from-environment') as typeof KubernetesFromEnvironment;
    // parseWorkerConfig has made sure FLEET_STORAGE_URI is set with this runtime.
    const credentials = config.FLEET_S3_ACCESS_KEY_ID && config.FLEET_S3_SECRET_ACCESS_KEY
      ? { accessKeyId: config.FLEET_S3_ACCESS_KEY_ID, secretAccessKey: config.FLEET_S3_SECRET_ACCESS_KEY } : undefined;
    return kubernetesRuntimeFromEnvironment({ kubeconfigPath: config.FLEET_KUBECONFIG, storageUri: config.FLEET_STORAGE_URI ?? '',
      workerNamespace: config.FLEET_WORKER_NAMESPACE, defaultImage: config.FLEET_FLINK_IMAGE, podPlacement: config.FLEET_POD_PLACEMENT,
      objectStorage: { endpoint: config.FLEET_S3_ENDPOINT, credentials, tenantAccounts: config.FLEET_S3_TENANT_ACCOUNTS },
      tenantEgress: config.FLEET_TENANT_EGRESS, tenantPlan: config.FLEET_TENANT_PLAN, jarFetcherPath: config.FLEET_JAR_FETCHER,
      onWatchError: (error) => logger?.warn({ err: error }, 'a watch of the fleet\'s Kubernetes objects broke; it restarts, and watches read the API server meanwhile') });
  }
  return new LocalRuntime({ flinkHome: config.FLINK_HOME, stateDir: config.FLEET_STATE_DIR, classArchives: config.FLEET_FLINK_CLASS_ARCHIVES, sizingCache: config.FLEET_FLINK_SIZING_CACHE });
}
