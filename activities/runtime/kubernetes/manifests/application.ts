import type { KubernetesObject, V1ConfigMap, V1Container, V1Deployment, V1Pod, V1Service, V1Volume } from '@kubernetes/client-node';
import { tenantArtifactUri } from '../../../names';
import { taskManagerCount } from '../../scaling';
import type { ApplicationClusterSpec } from '../../types';
import {
  ARTIFACTS_DIR, compose, CONFIG_VOLUME, flinkPodSpec, PORTS, type PodPlacement, SQL_SCRIPT_DIR, withConfigMount, withEnv, withPorts, withProbes, withResources,
  withRestrictedSecurity,
} from './container';
import { applicationFlinkOptions, CONFIG_FILE, configFiles, LOG4J_FILE, SQL_SCRIPT_FILE } from './flink-config';
import { haRole, haRoleBinding, haServiceAccount } from './ha';
import { checkedJarMount, checkedJarPath, jarCheckVolumes, jarFetcherContainer, jarFetcherData } from './jar-check';
import { CLUSTER_KIND, componentSelector, NAME_ANNOTATION, objectNames, type ClusterIdentity } from './labels';
import { clusterMetadata } from './objects';
import { withStorageCredentials, type ObjectStorage } from './storage';
import { allowDeclaredEgress, allowWithinCluster } from './tenant';

/**
 * An application cluster in Flink's standalone application mode (as the Flink Kubernetes Operator's
 * standalone mode runs it): the JobManager starts the one job itself, so nothing is submitted later
 * and a restarted JobManager pod runs the same job again, recovered through Kubernetes HA. Pure.
 */
export const SQL_DRIVER = 'org.apache.flink.table.runtime.application.SqlDriver';
const SQL_SCRIPT_VOLUME = 'sql-script';
const ARTIFACTS_VOLUME = 'artifacts';

export interface ClusterPlacement {
  readonly image: string;
  /** This cluster's state storage (checkpoints, savepoints, HA): `storageUri(cluster)`. */
  readonly storageUri: string;
  /** The root every tenant's storage lies under: a jar job's jar comes from the tenant's artifact area in it. */
  readonly storageRoot: string;
  readonly objectStorage: ObjectStorage;
  readonly nodes: PodPlacement;
  /** The tenant egress wall is up: a pipeline's declared endpoints need a policy of their own. */
  readonly walled?: boolean;
  /** The jar fetcher's jar (jar-fetcher/location.ts), which a jar connection's JobManager pod runs first; only jar connections need it. */
  readonly jarFetcher?: Buffer;
}

/** A jar connection's JobManager cannot start unchecked: a placement without the fetcher is a worker's misconfiguration. */
function jarFetcherOf(placement: ClusterPlacement): Buffer {
  if (!placement.jarFetcher) throw new Error('a jar connection needs the jar fetcher, and this placement has none');
  return placement.jarFetcher;
}

export function applicationConfigMap(id: ClusterIdentity, spec: ApplicationClusterSpec, placement: ClusterPlacement): V1ConfigMap {
  const metadata = clusterMetadata(id, objectNames(id.cluster).config, 'jobmanager', { [CLUSTER_KIND]: 'application' });
  return {
    apiVersion: 'v1', kind: 'ConfigMap', metadata: { ...metadata, annotations: { [NAME_ANNOTATION]: id.name } },
    data: configFiles(applicationFlinkOptions(id, spec, placement.storageUri, placement.objectStorage), spec.job.kind === 'sql' ? spec.job.script : undefined),
    ...(spec.job.kind === 'jar' ? { binaryData: jarFetcherData(jarFetcherOf(placement)) } : {}),
  };
}

/**
 * `standalone-job` is the official image's entrypoint command for this mode. The pod's IP becomes the
 * HA leader address by a dynamic property: Flink 2 dropped 1.x's `--host`, and its parser stops at an
 * unknown option, taking it and everything after (the job class, the job id) as the job's own
 * arguments (seen on the real node: "No JAR with manifest attribute for entry class"). A jar job's jar
 * is the fetcher's checked copy (jar-check.ts).
 */
export function jobManagerArgs(spec: ApplicationClusterSpec): string[] {
  const common = ['standalone-job', '-Djobmanager.rpc.address=$(POD_IP)', '--job-id', spec.jobId];
  if (spec.job.kind === 'sql') return [...common, '--job-classname', SQL_DRIVER, '--scriptUri', `file://${SQL_SCRIPT_DIR}/${SQL_SCRIPT_FILE}`];
  return [...common, '--jars', `local://${checkedJarPath(spec.job.digest)}`, '--job-classname', spec.job.entryClass, ...spec.job.args];
}

export function configVolume(id: ClusterIdentity): V1Volume {
  return { name: CONFIG_VOLUME, configMap: { name: objectNames(id.cluster).config, items: [CONFIG_FILE, LOG4J_FILE].map((key) => ({ key, path: key })) } };
}

function jobManagerVolumes(id: ClusterIdentity, spec: ApplicationClusterSpec): V1Volume[] {
  const job: V1Volume[] = spec.job.kind === 'sql'
    ? [{ name: SQL_SCRIPT_VOLUME, configMap: { name: objectNames(id.cluster).config, items: [{ key: SQL_SCRIPT_FILE, path: SQL_SCRIPT_FILE }] } }]
    : jarCheckVolumes(id);
  return [configVolume(id), ...job, { name: ARTIFACTS_VOLUME, emptyDir: {} }];
}

/**
 * Ready means Flink's REST lists the cluster's job (any state: a failed start is listed too, and its
 * failure is the workflow's to read), not only that the REST port answers: the Deployment is
 * available, and the Service routes to the pod, once the job is submitted or recovered through HA.
 */
export function jobManagerReadinessPath(spec: ApplicationClusterSpec): string {
  return `/jobs/${spec.jobId}`;
}

function jobManagerContainer(spec: ApplicationClusterSpec, placement: ClusterPlacement): V1Container {
  const script = { name: SQL_SCRIPT_VOLUME, mountPath: SQL_SCRIPT_DIR, readOnly: true };
  const mounts = [{ name: ARTIFACTS_VOLUME, mountPath: ARTIFACTS_DIR }, spec.job.kind === 'sql' ? script : checkedJarMount];
  return compose({ name: 'jobmanager', image: placement.image, args: jobManagerArgs(spec), volumeMounts: mounts },
    withResources(spec.jobManager, 'jobmanager'), withRestrictedSecurity, withEnv(spec.secretEnv ?? []), withStorageCredentials(placement.objectStorage), withConfigMount,
    withPorts({ rpc: PORTS.rpc, blob: PORTS.blob, rest: PORTS.rest }), withProbes(PORTS.rest, jobManagerReadinessPath(spec)));
}

function jarFetcher(spec: ApplicationClusterSpec, digest: string, placement: ClusterPlacement): V1Container {
  return jarFetcherContainer({ image: placement.image, source: tenantArtifactUri(placement.storageRoot, spec.tenant, digest), digest,
    resources: spec.jobManager, objectStorage: placement.objectStorage });
}

/** Recreate, not RollingUpdate: two JobManagers of one job at once would both try to run it. */
export function jobManagerDeployment(id: ClusterIdentity, spec: ApplicationClusterSpec, placement: ClusterPlacement): V1Deployment {
  const metadata = clusterMetadata(id, objectNames(id.cluster).jobManager, 'jobmanager');
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata,
    spec: {
      replicas: 1, strategy: { type: 'Recreate' }, selector: { matchLabels: { ...componentSelector(id, 'jobmanager') } },
      template: { metadata: { labels: metadata.labels }, spec: flinkPodSpec([jobManagerContainer(spec, placement)], placement.nodes,
        { serviceAccountName: objectNames(id.cluster).serviceAccount, automountServiceAccountToken: true, volumes: jobManagerVolumes(id, spec),
          ...(spec.job.kind === 'jar' ? { initContainers: [jarFetcher(spec, spec.job.digest, placement)] } : {}) }) },
    },
  };
}

export function taskManagerContainer(resources: ApplicationClusterSpec['taskManager'], image: string, secretEnv: ApplicationClusterSpec['secretEnv'] = []): V1Container {
  return compose({ name: 'taskmanager', image, args: ['taskmanager', '-Dtaskmanager.host=$(POD_IP)', '-Dtaskmanager.resource-id=$(POD_NAME)'] },
    withResources(resources, 'taskmanager'), withRestrictedSecurity, withEnv(secretEnv), withConfigMount,
    // TaskManagers serve no REST API: their probes watch the RPC port they register with.
    withPorts({ rpc: PORTS.taskManagerRpc }), withProbes(PORTS.taskManagerRpc));
}

export function taskManagerDeployment(id: ClusterIdentity, spec: ApplicationClusterSpec, placement: ClusterPlacement): V1Deployment {
  const metadata = clusterMetadata(id, objectNames(id.cluster).taskManager, 'taskmanager');
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata,
    spec: {
      replicas: taskManagerCount(spec), selector: { matchLabels: { ...componentSelector(id, 'taskmanager') } },
      template: { metadata: { labels: metadata.labels }, spec: flinkPodSpec([compose(taskManagerContainer(spec.taskManager, placement.image, spec.secretEnv), withStorageCredentials(placement.objectStorage))], placement.nodes,
        { serviceAccountName: objectNames(id.cluster).serviceAccount, automountServiceAccountToken: true, volumes: [configVolume(id)] }) },
    },
  };
}

/**
 * Kubernetes' own way to choose which pods a Deployment loses when it shrinks: the ReplicaSet
 * controller removes the ready pods of the lowest deletion cost first.
 */
export const POD_DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';

/** Marks a TaskManager pod to go first when its Deployment shrinks: one the job runs no task on. */
export function surplusTaskManagerMark(id: ClusterIdentity, podName: string): V1Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: podName, namespace: id.namespace, annotations: { [POD_DELETION_COST]: '-1000' } } };
}

export function jobManagerService(id: ClusterIdentity, extraPorts: Readonly<Record<string, number>> = {}): V1Service {
  const ports = { rpc: PORTS.rpc, blob: PORTS.blob, rest: PORTS.rest, ...extraPorts };
  return {
    apiVersion: 'v1', kind: 'Service', metadata: clusterMetadata(id, objectNames(id.cluster).service, 'jobmanager'),
    spec: { type: 'ClusterIP', selector: { ...componentSelector(id, 'jobmanager') },
      ports: Object.entries(ports).map(([name, port]) => ({ name, port, targetPort: port, protocol: 'TCP' })) },
  };
}

/** Root first (the ConfigMap), then what the pods need, then the pods' owners: the order apply follows. */
export function applicationClusterObjects(id: ClusterIdentity, spec: ApplicationClusterSpec, placement: ClusterPlacement): { root: V1ConfigMap; dependents: KubernetesObject[] } {
  return {
    root: applicationConfigMap(id, spec, placement),
    dependents: [allowWithinCluster(id), haServiceAccount(id), haRole(id), haRoleBinding(id), jobManagerService(id),
      jobManagerDeployment(id, spec, placement), taskManagerDeployment(id, spec, placement),
      // Without the wall its pods reach anywhere already, declared or not.
      ...(placement.walled === true && (spec.egress ?? []).length > 0 ? [allowDeclaredEgress(id, spec.egress ?? [])] : [])],
  };
}
