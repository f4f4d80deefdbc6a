import type {
  ApplicationClusterSpec, ClusterEndpoints, ClusterObservation, ClusterRef, ClusterSummary, FlinkRuntime, SessionClusterSpec,
} from '../../activities/runtime/types';
import { CoreV1Api } from '@kubernetes/client-node';
import { KubernetesRuntime } from '../../activities/runtime/kubernetes/kubernetes-runtime';
import { CLUSTER } from '../../activities/runtime/kubernetes/manifests/labels';
import type { TenantPlan } from '../../activities/runtime/kubernetes/manifests/tenant';
import type { LocalRuntime } from '../../activities/runtime/local/local-runtime';
import type { KubernetesTestBed } from '../../client/dev/kubernetes-control-plane';
import { localTestRuntime } from './fleet';

/**
 * THE SEAM of the kubernetes-runtime pipeline tests. kwok runs no containers, so the Flink a
 * Kubernetes cluster would run is not there. This runtime does everything the kubernetes runtime
 * does against the real API server (namespaces, guard rails, Deployments, Services, pods, deletion
 * by label, observation), and also runs the same cluster as real Flink JVMs through the local
 * runtime, whose REST endpoint it hands to the activities. Health is the worse of the two views.
 */
export class KubernetesWithLocalFlink implements FlinkRuntime {
  readonly kind = 'kubernetes';

  constructor(readonly kubernetes: KubernetesRuntime, readonly flink: LocalRuntime, private readonly k8s?: KubernetesTestBed) {}

  /** Over the run's control plane, reaching Flink REST the way a worker outside the cluster would; tenants get `tenantPlan` (the default plan if absent). */
  static onTestBed(k8s: KubernetesTestBed, stateDir: string, tenantPlan?: TenantPlan): KubernetesWithLocalFlink {
    const kubernetes = new KubernetesRuntime({
      kubeConfig: k8s.kubeConfig, storageUri: 's3://fleet-test/state', restAccess: { mode: 'api-proxy', server: k8s.server }, pollIntervalMs: 250, tenantPlan,
    });
    return new KubernetesWithLocalFlink(kubernetes, localTestRuntime(stateDir), k8s);
  }

  /**
   * After a test: fails when any cluster object (or local JVM) outlived the test, since a stopped or
   * failed pipeline must leave only its tenant's guard rails; then deletes the tenant's namespace and
   * waits until every managed object in it is gone.
   */
  async cleanUpTenant(tenant: string): Promise<void> {
    const namespace = this.kubernetes.namespaceOf(tenant);
    const leftovers: string[] = [];
    await this.k8s?.assertNoManagedObjectsLeft([namespace], { selector: CLUSTER }).catch((error: Error) => leftovers.push(error.message));
    for (const cluster of await this.flink.listClusters()) {
      leftovers.push(`local cluster ${cluster.cluster} still present`);
      await this.flink.deleteCluster(cluster);
    }
    await this.k8s?.kubeConfig.makeApiClient(CoreV1Api).deleteNamespace({ name: namespace }).catch(() => undefined);
    await this.k8s?.assertNoManagedObjectsLeft([namespace], { graceMs: 60_000 });
    if (leftovers.length > 0) throw new Error(`the test left cluster objects behind: ${leftovers.join('; ')}`);
  }

  async ensureTenant(tenant: string): Promise<void> {
    await this.kubernetes.ensureTenant(tenant);
    await this.flink.ensureTenant();
  }

  async deployApplicationCluster(spec: ApplicationClusterSpec): Promise<ClusterEndpoints> {
    await this.kubernetes.deployApplicationCluster(spec);
    return this.flink.deployApplicationCluster(spec);
  }

  async deploySessionCluster(spec: SessionClusterSpec): Promise<ClusterEndpoints> {
    await this.kubernetes.deploySessionCluster(spec);
    return this.flink.deploySessionCluster(spec);
  }

  async addTaskManager(cluster: ClusterRef, taskManagerId: string): Promise<void> {
    await this.kubernetes.addTaskManager(cluster, taskManagerId);
    await this.flink.addTaskManager(cluster, taskManagerId);
  }

  async killTaskManager(cluster: ClusterRef, taskManagerId: string): Promise<void> {
    await this.kubernetes.killTaskManager(cluster, taskManagerId);
    await this.flink.killTaskManager(cluster, taskManagerId);
  }

  async scaleTaskManagers(spec: ApplicationClusterSpec, busy: readonly string[]): Promise<void> {
    await this.kubernetes.scaleTaskManagers(spec, busy);
    await this.flink.scaleTaskManagers(spec, busy);
  }

  maxParallelism(spec: ApplicationClusterSpec): number {
    return this.kubernetes.maxParallelism(spec);
  }

  async deleteCluster(cluster: ClusterRef): Promise<void> {
    await this.kubernetes.deleteCluster(cluster);
    await this.flink.deleteCluster(cluster);
  }

  async observe(cluster: ClusterRef): Promise<ClusterObservation> {
    const [objects, processes] = [await this.kubernetes.observe(cluster), await this.flink.observe(cluster)];
    const worse = objects.health !== 'running' ? objects : processes;
    return { ...worse, endpoints: processes.endpoints };
  }

  listClusters(): Promise<ClusterSummary[]> {
    return this.kubernetes.listClusters();
  }

  storageUri(cluster: ClusterRef): string {
    return this.flink.storageUri(cluster);
  }

  latestCheckpoint(cluster: ClusterRef, jobId: string): Promise<string | undefined> {
    return this.flink.latestCheckpoint(cluster, jobId);
  }
}
