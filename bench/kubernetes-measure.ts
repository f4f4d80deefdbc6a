import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, KubernetesObjectApi, Watch, type KubeConfig, type KubernetesObject, type V1Pod } from '@kubernetes/client-node';
import { FlinkRestClient, type FlinkTransport } from '../activities/flink/rest-client';
import { waitUntil } from '../activities/runtime/local/wait';
import { jobRunning } from './pipeline-measure';

/** The Kubernetes bench's timed pieces: kubernetes.ts strings them together. */
const POLL_MS = 200;

/** Flink's REST through the API server's service proxy, as the fleet's worker reaches it. */
export function proxiedRest(server: string, namespace: string, service: string, transport: FlinkTransport | undefined): FlinkRestClient {
  return new FlinkRestClient(`${server.replace(/\/+$/, '')}/api/v1/namespaces/${namespace}/services/${service}:rest/proxy`, { transport, timeoutMs: 10_000 });
}

/**
 * Each object created with the Kubernetes client, in order, then the JobManager's REST polled until
 * the job and its tasks run: what a user without a control plane does. Errors while the JobManager starts
 * (the proxy's 503, a job not yet listed) count as "not yet".
 */
export async function plainStartToRunning(kubeConfig: KubeConfig, objects: readonly KubernetesObject[], rest: FlinkRestClient, jobId: string): Promise<number> {
  const api = KubernetesObjectApi.makeApiClient(kubeConfig);
  const started = performance.now();
  for (const object of objects) await api.create(object);
  await jobRunning(rest, jobId, started);
  return performance.now() - started;
}

/** Deleted with all it holds (Flink's own HA ConfigMaps too, which nothing owns), and waited for until gone. */
export async function deleteNamespace(kubeConfig: KubeConfig, name: string): Promise<void> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  await core.deleteNamespace({ name }).catch((error: { code?: number }) => {
    if (error.code !== 404) throw error;
  });
  await waitUntil(`namespace ${name} to be gone`, async () => {
    try {
      await core.readNamespace({ name });
      return undefined;
    } catch (error) {
      if ((error as { code?: number }).code === 404) return true;
      throw error;
    }
  }, { timeoutMs: 300_000, intervalMs: 500 });
}

export interface RegistrationTimer {
  /** Pod created → listed by the JobManager, one per pod seen since the timer started. */
  readonly samples: number[];
  stop(): Promise<void>;
}

/**
 * Times each new pod matching `selector` from its creation (a watch's ADDED, started after a list so
 * that pods already there are not counted) until the JobManager's `/taskmanagers` lists its name
 * (pool TaskManagers' resource id is their pod name).
 */
export async function timeTaskManagerRegistrations(kubeConfig: KubeConfig, namespace: string, selector: string, rest: FlinkRestClient,
  log: (line: string) => void): Promise<RegistrationTimer> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const { metadata } = await core.listNamespacedPod({ namespace, labelSelector: selector });
  const created = new Map<string, number>();
  const samples: number[] = [];
  let failure: unknown;
  let stopped = false;
  const watch = await new Watch(kubeConfig).watch(`/api/v1/namespaces/${namespace}/pods`,
    { labelSelector: selector, resourceVersion: metadata?.resourceVersion },
    (phase: string, pod: V1Pod) => {
      const name = pod.metadata?.name;
      if (name && phase === 'ADDED') created.set(name, performance.now());
      if (name && phase === 'DELETED') created.delete(name);
    },
    (error: unknown) => {
      if (error && !stopped) failure = error;
    });
  const polling = (async () => {
    while (!stopped) {
      if (created.size > 0) {
        const listed = new Set((await rest.taskManagers().catch(() => [])).map((t) => t.id));
        for (const [name, at] of created) {
          if (!listed.has(name)) continue;
          samples.push(performance.now() - at);
          created.delete(name);
          log(`TaskManager ${name} registered ${Math.round(samples.at(-1) ?? 0)} ms after its pod was created`);
        }
      }
      await sleep(POLL_MS);
    }
  })();
  return {
    samples,
    async stop() {
      // The pool may have seen the last pod register before this poll did: its sample is not lost.
      await waitUntil('the last TaskManager pods to register', async () => (created.size === 0 ? true : undefined), { timeoutMs: 60_000, intervalMs: POLL_MS })
        .catch(() => log(`stopped with ${created.size} TaskManager pods never listed: ${[...created.keys()].join(', ')}`));
      stopped = true;
      watch.abort();
      await polling;
      if (failure) throw new Error(`the pod watch of ${namespace} failed: ${String(failure)}`);
    },
  };
}
