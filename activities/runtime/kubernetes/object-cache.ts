import {
  KubernetesObjectApi, ListWatch, Watch, type KubeConfig, type KubernetesListObject, type KubernetesObject, type V1ConfigMap, type V1Deployment,
  type V1ObjectMeta, type V1Pod,
} from '@kubernetes/client-node';
import type { ClusterObjects } from './observe';
import { CLUSTER, CLUSTER_KIND, MANAGED_BY_SELECTOR } from './manifests/labels';

/**
 * What `observeCluster` reads of an object, and nothing else: specs, data and managed fields would be
 * nearly all of the cache's memory at a thousand clusters. Pure.
 */
export function slimmed<T extends KubernetesObject>(object: T): T {
  const { name, namespace, uid, resourceVersion, labels, annotations, creationTimestamp, deletionTimestamp } = object.metadata ?? {};
  const metadata: V1ObjectMeta = { name, namespace, uid, resourceVersion, labels, annotations, creationTimestamp, deletionTimestamp };
  const status = (object as { status?: V1Pod['status'] }).status;
  const podStatus = object.kind === 'Pod' && status ? {
    phase: status.phase, reason: status.reason, message: status.message,
    containerStatuses: status.containerStatuses?.map(({ name: container, state, ready, restartCount, image, imageID }) => ({ name: container, state, ready, restartCount, image, imageID })),
  } : undefined;
  return { apiVersion: object.apiVersion, kind: object.kind, metadata, ...(podStatus ? { status: podStatus } : {}) } as T;
}

type WatchCallback = (phase: string, apiObj: KubernetesObject, watchObj?: unknown) => void;

/** A Watch whose objects are slimmed before the cache keeps them (error events, which carry a Status, pass as they are). */
function slimmingWatch(kubeConfig: KubeConfig): Watch {
  const watch = new Watch(kubeConfig);
  return {
    config: kubeConfig,
    watch: (path: string, query: Record<string, string | number | boolean | undefined>, callback: WatchCallback, done: (err: unknown) => void) => watch.watch(path, query,
      (phase: string, object: KubernetesObject, raw: unknown) => callback(phase, phase === 'ERROR' ? object : slimmed(object), raw), done),
  } as unknown as Watch;
}

interface Informer {
  readonly cache: ListWatch<KubernetesObject>;
  /** False from a broken watch until its restart has listed again: meanwhile the cache may miss changes. */
  inStep: boolean;
  errors: number;
  /** Breaks since it was last in step: the backoff before the next try. */
  failures: number;
}

const KINDS = {
  roots: { path: '/api/v1/configmaps', apiVersion: 'v1', kind: 'ConfigMap', selector: `${MANAGED_BY_SELECTOR},${CLUSTER_KIND}` },
  deployments: { path: '/apis/apps/v1/deployments', apiVersion: 'apps/v1', kind: 'Deployment', selector: MANAGED_BY_SELECTOR },
  pods: { path: '/api/v1/pods', apiVersion: 'v1', kind: 'Pod', selector: MANAGED_BY_SELECTOR },
} as const;

const MAX_BACKOFF_MS = 30_000;
/** A look waits this long for the watches to start; after it, it goes to the API server while they do. */
const START_WAIT_MS = 10_000;

/**
 * The fleet's cluster objects in every namespace, kept by three watches (root ConfigMaps, Deployments,
 * pods) instead of three lists per look: a thousand watched pipelines then cost the API server three
 * long-lived requests, not three requests each every few seconds. Started by the first look; a broken
 * watch is restarted with backoff, and until it has caught up the cache says it cannot answer.
 */
export class ClusterObjectsCache {
  private informers?: Record<keyof typeof KINDS, Informer>;
  private starting?: Promise<void>;
  private closed = false;

  constructor(private readonly kubeConfig: KubeConfig, private readonly onError: (error: unknown) => void) {}

  /** The cluster's objects as last watched, or undefined while a watch is not in step (starting, or restarting after a break). */
  async objects(namespace: string, cluster: string): Promise<ClusterObjects | undefined> {
    if (!this.starting) {
      this.starting = this.start();
      // A watch whose answer never comes (a proxy that holds its headers) must not hold the looks with it.
      await Promise.race([this.starting, new Promise((resolve) => { setTimeout(resolve, START_WAIT_MS).unref(); })]);
    }
    const informers = this.informers;
    if (!informers || !Object.values(informers).every((informer) => informer.inStep)) return undefined;
    const ofCluster = <T extends KubernetesObject>(informer: Informer): T[] => informer.cache.list(namespace)
      .filter((object) => object.metadata?.labels?.[CLUSTER] === cluster) as T[];
    return {
      root: ofCluster<V1ConfigMap>(informers.roots)[0],
      deployments: ofCluster<V1Deployment>(informers.deployments),
      pods: ofCluster<V1Pod>(informers.pods),
    };
  }

  /** Every cluster's root as last watched, or undefined unless the watches run and the roots' is in step. Never starts them. */
  roots(): readonly V1ConfigMap[] | undefined {
    const roots = this.informers?.roots;
    if (!this.watching || !roots?.inStep) return undefined;
    return roots.cache.list() as readonly V1ConfigMap[];
  }

  /** Whether a look has started the watches: a short-lived caller (a CLI) must not start them, as they hold its process open. */
  get watching(): boolean {
    return this.starting !== undefined && !this.closed;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(Object.values(this.informers ?? {}).map((informer) => informer.cache.stop()));
  }

  private async start(): Promise<void> {
    const api = KubernetesObjectApi.makeApiClient(this.kubeConfig);
    const watch = slimmingWatch(this.kubeConfig);
    const informer = ({ path, apiVersion, kind, selector }: (typeof KINDS)[keyof typeof KINDS]): Informer => {
      const list = async (): Promise<KubernetesListObject<KubernetesObject>> => {
        const found = await api.list(apiVersion, kind, undefined, undefined, undefined, undefined, undefined, selector);
        return { ...found, items: found.items.map((item) => slimmed({ ...item, apiVersion, kind })) };
      };
      const entry: Informer = { cache: new ListWatch(path, watch, list, false, selector), inStep: false, errors: 0, failures: 0 };
      entry.cache.on('error', (error: unknown) => this.broken(entry, error));
      return entry;
    };
    this.informers = { roots: informer(KINDS.roots), deployments: informer(KINDS.deployments), pods: informer(KINDS.pods) };
    await Promise.all(Object.values(this.informers).map((entry) => this.resume(entry)));
  }

  /** Lists (unless the watch can resume where it broke) and watches again; in step once that went without an error. */
  private async resume(entry: Informer): Promise<void> {
    if (this.closed) return;
    const errors = entry.errors;
    try {
      await entry.cache.start();
    } catch (error) {
      this.broken(entry, error);
    }
    entry.inStep = entry.errors === errors;
    if (entry.inStep) entry.failures = 0;
  }

  private broken(entry: Informer, error: unknown): void {
    entry.inStep = false;
    entry.errors += 1;
    entry.failures += 1;
    // Stopping the watches aborts their requests: that is the close, not a break worth a warning.
    if (this.closed) return;
    this.onError(error);
    setTimeout(() => void this.resume(entry), Math.min(MAX_BACKOFF_MS, 1_000 * 2 ** (entry.failures - 1))).unref();
  }
}
