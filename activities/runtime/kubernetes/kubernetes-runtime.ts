import type { KubeConfig, KubernetesObject, V1ConfigMap, V1Deployment, V1Pod, V1ResourceQuota } from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { FlinkRequestError, FlinkUnreachable } from '../../flink/errors';
import { FlinkRestClient, type FlinkTransport } from '../../flink/rest-client';
import { clusterName, clusterStorageUri, tenantStoragePrefix } from '../../names';
import type { S3Credentials } from '../../storage/s3-credentials';
import { VersityTenantAccounts } from '../../storage/versity-accounts';
import {
  ClusterStartFailed, type ApplicationClusterSpec, type ClusterEndpoints, type ClusterObservation, type ClusterRef, type ClusterSummary,
  type FlinkRuntime, type SessionClusterSpec,
} from '../types';
import { KubernetesObjects } from './api';
import { apiServerTransport } from './api-server-transport';
import { deleteClusterObjects } from './cleanup';
import { clusterEndpoints, type RestAccess } from './endpoints';
import { applicationClusterObjects, surplusTaskManagerMark, taskManagerDeployment, type ClusterPlacement } from './manifests/application';
import { CLUSTER, CLUSTER_KIND, clusterSelector, COMPONENT, MANAGED_BY_SELECTOR, NAME_ANNOTATION, objectNames, TENANT, type ClusterIdentity } from './manifests/labels';
import { ownedBy, ownerReference } from './manifests/objects';
import { poolTaskManagerPod, poolTaskManagerTemplate, sessionClusterObjects } from './manifests/session';
import { DEFAULT_TENANT_PLAN, TENANT_OBJECT_NAMES, tenantGuardRails, tenantNamespace, type TenantEgress, type TenantPlan } from './manifests/tenant';
import { bandwidthAnnotations, withPodAnnotations } from './manifests/bandwidth';
import { ClusterObjectsCache } from './object-cache';
import { observeCluster, type ClusterObjects } from './observe';
import { storageSecret, type ObjectStorage } from './manifests/storage';
import type { PodPlacement } from './manifests/container';
import { applicationSpecProblems, assertValid, declaredEgressProblems, planMaxParallelism, sessionSpecProblems, taskManagerIdProblems, tenantProblems } from './validation';
import { waitUntilReady } from './wait';
import { surplusTaskManagers, taskManagerCount } from '../scaling';

/** The official image for the Flink version the fleet is built against; a spec's `image` overrides it. */
export const DEFAULT_FLINK_IMAGE = 'flink:2.3.0-java17';

export interface KubernetesRuntimeOptions {
  readonly kubeConfig: KubeConfig;
  /** Shared storage every JobManager and TaskManager can reach (`s3://bucket/prefix`); clusters get a folder each. */
  readonly storageUri: string;
  readonly restAccess: RestAccess;
  /** The worker's own namespace: the only one the tenants' NetworkPolicies let reach REST and the gateway. */
  readonly workerNamespace?: string;
  /** Tenant `t` lives in namespace `<prefix>t`. */
  readonly namespacePrefix?: string;
  readonly tenantPlan?: TenantPlan;
  /** Where tenants' pods may connect outside their namespace; anywhere when absent. */
  readonly tenantEgress?: TenantEgress;
  readonly defaultImage?: string;
  /** How pods reach `storageUri`; AWS's own endpoint and the pods' own identity when absent. */
  readonly objectStorage?: ObjectStorage;
  /** Where Flink's pods run: a node pool of their own; anywhere the scheduler likes when absent. */
  readonly podPlacement?: PodPlacement;
  /** The jar fetcher's jar (jar-fetcher/location.ts): without it, jar connections are refused, since nothing could check their jar. */
  readonly jarFetcher?: Buffer;
  readonly startupTimeoutMs?: number;
  readonly deleteTimeoutMs?: number;
  readonly unschedulableGraceMs?: number;
  readonly pollIntervalMs?: number;
  /** A watch of the object cache broke (it restarts by itself, and looks go to the API server meanwhile). */
  readonly onWatchError?: (error: unknown) => void;
}

/**
 * Flink clusters as Kubernetes objects in the tenant's namespace, built by the pure builders in
 * manifests/ and applied server-side. Nothing is kept in memory: labels are the record of what exists.
 */
export class KubernetesRuntime implements FlinkRuntime {
  readonly kind = 'kubernetes';
  readonly flinkTransport?: FlinkTransport;
  private readonly api: KubernetesObjects;
  private readonly plan: TenantPlan;
  private readonly prefix: string;
  private readonly tenantAccounts?: VersityTenantAccounts;
  private readonly cache: ClusterObjectsCache;

  constructor(private readonly options: KubernetesRuntimeOptions) {
    this.api = new KubernetesObjects(options.kubeConfig);
    this.cache = new ClusterObjectsCache(options.kubeConfig, options.onWatchError ?? (() => undefined));
    this.plan = options.tenantPlan ?? DEFAULT_TENANT_PLAN;
    this.prefix = options.namespacePrefix ?? 'flink-fleet-';
    const storage = options.objectStorage;
    if (storage?.tenantAccounts === 'versity') {
      if (!storage.endpoint || !storage.credentials) throw new Error('per-tenant storage accounts need the gateway\'s endpoint and admin credentials');
      this.tenantAccounts = new VersityTenantAccounts(storage.endpoint, storage.credentials);
    }
    // A `kubectl proxy` URL needs no credentials; the API server itself does.
    if (options.restAccess.mode === 'api-proxy' && options.restAccess.server.startsWith('https:')) this.flinkTransport = apiServerTransport(options.kubeConfig);
  }

  /** The tenant's own account when the fleet makes one per tenant, else the shared credentials, else none (the pods' identity). */
  private async storageCredentials(tenant: string): Promise<S3Credentials | undefined> {
    if (this.tenantAccounts) return this.tenantAccounts.ensure(tenant, tenantStoragePrefix(this.options.storageUri, tenant));
    return this.options.objectStorage?.credentials;
  }

  namespaceOf(tenant: string): string {
    return `${this.prefix}${tenant}`;
  }

  async ensureTenant(tenant: string): Promise<void> {
    const namespace = this.namespaceOf(tenant);
    // The worker's namespace is configurable, so no fixed list of reserved tenants can rule this out.
    const workerNamespace = namespace === (this.options.workerNamespace ?? 'flink-fleet') ? [`tenant: its namespace ${namespace} is the worker's own`] : [];
    assertValid(namespace, [...tenantProblems(tenant, this.longestTenant), ...workerNamespace]);
    await this.api.apply(namespace, tenantNamespace(namespace, tenant));
    const guardRails = tenantGuardRails(namespace, tenant, this.plan, this.options.workerNamespace ?? 'flink-fleet', this.options.tenantEgress);
    for (const object of guardRails) await this.api.apply(namespace, object);
    const credentials = await this.storageCredentials(tenant);
    if (credentials) await this.api.apply(namespace, storageSecret(namespace, tenant, credentials));
    await this.quotaCounted(namespace);
  }

  async deployApplicationCluster(spec: ApplicationClusterSpec): Promise<ClusterEndpoints> {
    const id = this.identity(spec);
    const placement = this.placement(id, spec.image);
    const unchecked = spec.job.kind === 'jar' && !placement.jarFetcher ? ['job.jar: this worker has no jar fetcher to check the jar with (FLEET_JAR_FETCHER)'] : [];
    assertValid(id.cluster, [...applicationSpecProblems(spec, placement.image, this.plan, this.longestTenant),
      ...declaredEgressProblems(spec.egress ?? [], this.options.tenantEgress), ...unchecked]);
    await this.create(id, applicationClusterObjects(id, spec, placement));
    return clusterEndpoints(this.options.restAccess, id.namespace, id.cluster, false);
  }

  async deploySessionCluster(spec: SessionClusterSpec): Promise<ClusterEndpoints> {
    const id = this.identity(spec);
    const placement = this.placement(id, spec.image);
    assertValid(id.cluster, sessionSpecProblems(spec, placement.image, this.plan, this.longestTenant));
    await this.create(id, sessionClusterObjects(id, spec, placement));
    return clusterEndpoints(this.options.restAccess, id.namespace, id.cluster, true);
  }

  /**
   * The TaskManager Deployment's replicas follow the spec's parallelism; when they shrink, the pods
   * the job runs no task on are marked to go first (their pod name is their Flink resource id). Does
   * not wait for pods: the job's own rescale says when new TaskManagers have registered.
   */
  async scaleTaskManagers(spec: ApplicationClusterSpec, busy: readonly string[]): Promise<void> {
    const id = this.identity(spec);
    const placement = this.placement(id, spec.image);
    assertValid(id.cluster, applicationSpecProblems(spec, placement.image, this.plan, this.longestTenant));
    const root = await this.root(id);
    if (!root) throw new Error(`application cluster ${id.cluster} does not exist in ${id.namespace}`);
    const pods = (await this.api.list('v1', 'Pod', id.namespace, `${clusterSelector(id.cluster)},${COMPONENT}=taskmanager`) as V1Pod[])
      .filter((pod) => !pod.metadata?.deletionTimestamp)
      .sort((a, b) => new Date(a.metadata?.creationTimestamp ?? 0).getTime() - new Date(b.metadata?.creationTimestamp ?? 0).getTime());
    const surplus = surplusTaskManagers(pods.map((pod) => pod.metadata?.name ?? ''), busy, taskManagerCount(spec));
    for (const pod of surplus) await this.api.mergePatch(id.cluster, surplusTaskManagerMark(id, pod));
    await this.api.apply(id.cluster, ownedBy<V1Deployment>(ownerReference(root))(this.shaped(taskManagerDeployment(id, spec, placement))));
  }

  maxParallelism(spec: ApplicationClusterSpec): number {
    return planMaxParallelism(spec, this.plan);
  }

  /** Does not wait for the pod: the pool sees the TaskManager register with the JobManager. */
  async addTaskManager(cluster: ClusterRef, taskManagerId: string): Promise<void> {
    const id = this.identity(cluster);
    assertValid(id.cluster, taskManagerIdProblems(taskManagerId));
    const root = await this.root(id);
    const template = root && poolTaskManagerTemplate(root);
    if (!root || !template) throw new Error(`session cluster ${id.cluster} does not exist in ${id.namespace}`);
    await this.api.apply(id.cluster, ownedBy<V1Pod>(ownerReference(root))(this.shaped(poolTaskManagerPod(id, template, taskManagerId, this.podPlacement))));
  }

  async killTaskManager(cluster: ClusterRef, taskManagerId: string): Promise<void> {
    const id = this.identity(cluster);
    const pod = await this.api.read<V1Pod>({ apiVersion: 'v1', kind: 'Pod', metadata: { name: taskManagerId, namespace: id.namespace } });
    if (!pod || pod.metadata?.labels?.[CLUSTER] !== id.cluster) return;
    await this.api.delete(pod);
    const deadline = Date.now() + (this.options.deleteTimeoutMs ?? 120_000);
    while (await this.api.read(pod)) {
      if (Date.now() >= deadline) throw new Error(`TaskManager pod ${id.namespace}/${taskManagerId} is still there`);
      await sleep(this.options.pollIntervalMs ?? 250);
    }
  }

  async deleteCluster(cluster: ClusterRef): Promise<void> {
    const id = this.identity(cluster);
    const watchedLeft = async (): Promise<boolean | undefined> => {
      const objects = await this.cache.objects(id.namespace, id.cluster);
      return objects && Boolean(objects.root || objects.deployments.length > 0 || objects.pods.length > 0);
    };
    await deleteClusterObjects(this.api, id.namespace, id.cluster, this.options.deleteTimeoutMs ?? 120_000, this.cache.watching ? watchedLeft : undefined);
  }

  async observe(cluster: ClusterRef): Promise<ClusterObservation> {
    const id = this.identity(cluster);
    const selector = clusterSelector(id.cluster);
    const [root, deployments, pods] = await Promise.all([this.root(id),
      this.api.list('apps/v1', 'Deployment', id.namespace, selector), this.api.list('v1', 'Pod', id.namespace, selector)]);
    return this.observation(id, { root, deployments: deployments as V1Deployment[], pods: pods as V1Pod[] });
  }

  /**
   * From the watched cache, which may lag the API server by a moment: bad news (a cluster failed,
   * missing, out of disk) is confirmed by `observe` before anyone acts on it, and so is everything
   * while the cache is catching up after a broken watch.
   */
  async observeWatched(cluster: ClusterRef): Promise<ClusterObservation> {
    const id = this.identity(cluster);
    const objects = await this.cache.objects(id.namespace, id.cluster);
    const observed = objects && this.observation(id, objects);
    if (!observed || observed.health === 'failed' || observed.health === 'missing' || observed.diskExceeded) return this.observe(cluster);
    return observed;
  }

  async close(): Promise<void> {
    await this.cache.close();
  }

  private observation(id: ClusterIdentity, objects: ClusterObjects): ClusterObservation {
    const session = objects.root?.metadata?.labels?.[CLUSTER_KIND] === 'session';
    return observeCluster(id.cluster, objects, clusterEndpoints(this.options.restAccess, id.namespace, id.cluster, session));
  }

  /** From the watches when they run (the janitor's pass then costs the API server nothing), else one list. */
  async listClusters(): Promise<ClusterSummary[]> {
    const roots = this.cache.roots() ?? await this.api.list('v1', 'ConfigMap', undefined, `${MANAGED_BY_SELECTOR},${CLUSTER_KIND}`);
    return roots.flatMap(({ metadata }) => {
      const labels = metadata?.labels ?? {};
      const [tenant, cluster, kind, name] = [labels[TENANT], labels[CLUSTER], labels[CLUSTER_KIND], metadata?.annotations?.[NAME_ANNOTATION]];
      if (!tenant || !cluster || !name || (kind !== 'application' && kind !== 'session')) return [];
      return [{ tenant, name, cluster, kind, createdAt: new Date(metadata?.creationTimestamp ?? 0).toISOString() }];
    });
  }

  storageUri(cluster: ClusterRef): string {
    return clusterStorageUri(this.options.storageUri, cluster.tenant, cluster.name);
  }

  /**
   * The JobManager knows its newest checkpoint; without a JobManager there is none to tell, and
   * object storage is not listed from here (with Kubernetes HA a restarted JobManager recovers by itself).
   */
  async latestCheckpoint(cluster: ClusterRef, jobId: string): Promise<string | undefined> {
    const { endpoints } = await this.observe(cluster);
    if (!endpoints) return undefined;
    try {
      return (await new FlinkRestClient(endpoints.restUrl, { timeoutMs: 10_000, transport: this.flinkTransport }).checkpoints(jobId)).latest?.externalPath;
    } catch (error) {
      if (error instanceof FlinkUnreachable || (error instanceof FlinkRequestError && error.status === 404)) return undefined;
      throw error;
    }
  }

  /** A namespace name is a DNS-1123 label too: the prefix leaves the tenant the rest of 63 characters. */
  private get longestTenant(): number {
    return 63 - this.prefix.length;
  }

  private identity(ref: ClusterRef): ClusterIdentity {
    return { tenant: ref.tenant, name: ref.name, cluster: clusterName(ref.tenant, ref.name), namespace: this.namespaceOf(ref.tenant) };
  }

  private placement(id: ClusterIdentity, image: string | undefined): ClusterPlacement {
    return { image: image ?? this.options.defaultImage ?? DEFAULT_FLINK_IMAGE, storageUri: this.storageUri(id), storageRoot: this.options.storageUri, objectStorage: this.options.objectStorage ?? {}, nodes: this.podPlacement,
      walled: this.options.tenantEgress !== undefined, jarFetcher: this.options.jarFetcher };
  }

  /** Every pod of every cluster: the configured nodes, under the tenant plan's RuntimeClass. */
  private get podPlacement(): PodPlacement {
    const runtimeClass = this.plan.runtimeClassName;
    return { ...this.options.podPlacement, ...(runtimeClass ? { runtimeClassName: runtimeClass } : {}) };
  }

  /** Every pod the runtime makes carries the plan's bandwidth, whichever builder made it. */
  private shaped<T extends KubernetesObject>(object: T): T {
    return withPodAnnotations(object, bandwidthAnnotations(this.plan.podBandwidth));
  }

  private root(id: ClusterIdentity): Promise<V1ConfigMap | undefined> {
    return this.api.read<V1ConfigMap>({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: objectNames(id.cluster).config, namespace: id.namespace } });
  }

  /**
   * Root first, then its dependents owned by it, then wait. A start that cannot succeed is cleaned
   * up by label before the error goes up, so a refused cluster leaves nothing behind; a transient
   * error (API server unavailable) leaves what exists for the retry to complete.
   */
  private async create(id: ClusterIdentity, objects: { root: V1ConfigMap; dependents: KubernetesObject[] }): Promise<void> {
    try {
      const root = await this.api.apply(id.cluster, objects.root);
      const owned = ownedBy(ownerReference(root));
      for (const dependent of objects.dependents) await this.api.apply(id.cluster, owned(this.shaped(dependent)));
      await waitUntilReady(this.api, id.namespace, id.cluster, {
        timeoutMs: this.options.startupTimeoutMs ?? 300_000, intervalMs: this.options.pollIntervalMs ?? 500,
        unschedulableGraceMs: this.options.unschedulableGraceMs ?? 60_000,
      });
    } catch (error) {
      if (error instanceof ClusterStartFailed) await deleteClusterObjects(this.api, id.namespace, id.cluster, this.options.deleteTimeoutMs ?? 120_000);
      throw error;
    }
  }

  /** Quota admission refuses every pod until the quota controller has counted the namespace once. */
  private async quotaCounted(namespace: string): Promise<void> {
    const quota = { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: TENANT_OBJECT_NAMES.quota, namespace } };
    const deadline = Date.now() + 60_000;
    while (!(await this.api.read<V1ResourceQuota>(quota))?.status?.hard) {
      if (Date.now() >= deadline) throw new Error(`the ResourceQuota of ${namespace} was not counted within 60 s: is the controller-manager running?`);
      await sleep(this.options.pollIntervalMs ?? 250);
    }
  }
}
