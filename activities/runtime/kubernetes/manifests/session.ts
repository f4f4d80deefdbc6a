import type { KubernetesObject, V1ConfigMap, V1Container, V1Deployment, V1Pod, V1Service } from '@kubernetes/client-node';
import type { ProcessResources, SessionClusterSpec } from '../../types';
import { configVolume, jobManagerService, taskManagerContainer, type ClusterPlacement } from './application';
import { compose, flinkPodSpec, PORTS, type PodPlacement, withConfigMount, withEnv, withPorts, withProbes, withResources, withRestrictedSecurity } from './container';
import { configFiles, sessionFlinkOptions } from './flink-config';
import { CLUSTER_KIND, componentSelector, NAME_ANNOTATION, objectNames, POOL, type ClusterIdentity } from './labels';
import { clusterMetadata } from './objects';
import { allowWithinCluster } from './tenant';

/**
 * The shared session cluster of previews: a JobManager, the SQL Gateway in a Deployment of its own,
 * and pool TaskManagers as bare pods. The gateway is not a sidecar because it is a client of the
 * JobManager, not part of it: it restarts, fails its probes and is sized on its own without taking
 * the JobManager (and every running preview) down with it. No Kubernetes HA here: a preview lasts
 * two minutes, and the pool workflow recreates a lost JobManager faster than a failover would help.
 */
/** addTaskManager gets only the cluster's name: the pod it makes is described on the root, here. */
export const POOL_TASK_MANAGER_ANNOTATION = 'flink-fleet/pool-taskmanager';

export interface PoolTaskManagerTemplate {
  readonly image: string;
  readonly taskManager: ProcessResources;
}

export function sessionConfigMap(id: ClusterIdentity, spec: SessionClusterSpec, placement: ClusterPlacement): V1ConfigMap {
  const metadata = clusterMetadata(id, objectNames(id.cluster).config, 'jobmanager', { [CLUSTER_KIND]: 'session' });
  const { cpu, memoryMb, ephemeralStorageMb } = spec.taskManager;
  const template: PoolTaskManagerTemplate = { image: placement.image, taskManager: { cpu, memoryMb, ...(ephemeralStorageMb === undefined ? {} : { ephemeralStorageMb }) } };
  return { apiVersion: 'v1', kind: 'ConfigMap',
    metadata: { ...metadata, annotations: { [NAME_ANNOTATION]: id.name, [POOL_TASK_MANAGER_ANNOTATION]: JSON.stringify(template) } },
    data: configFiles(sessionFlinkOptions(id, spec, placement.storageUri)) };
}

/** The template the session cluster's root recorded, or undefined when the root is not a session cluster's. */
export function poolTaskManagerTemplate(root: V1ConfigMap): PoolTaskManagerTemplate | undefined {
  const text = root.metadata?.annotations?.[POOL_TASK_MANAGER_ANNOTATION];
  if (!text) return undefined;
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || !('image' in parsed) || !('taskManager' in parsed)) return undefined;
  const { image, taskManager } = parsed;
  if (typeof image !== 'string' || typeof taskManager !== 'object' || taskManager === null) return undefined;
  const { cpu, memoryMb, ephemeralStorageMb } = taskManager as Record<string, unknown>;
  if (typeof cpu !== 'number' || typeof memoryMb !== 'number') return undefined;
  return { image, taskManager: { cpu, memoryMb, ...(typeof ephemeralStorageMb === 'number' ? { ephemeralStorageMb } : {}) } };
}

function sessionDeployment(id: ClusterIdentity, component: 'jobmanager' | 'gateway', container: V1Container, nodes: PodPlacement): V1Deployment {
  const names = objectNames(id.cluster);
  const metadata = clusterMetadata(id, component === 'jobmanager' ? names.jobManager : names.gateway, component);
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata,
    spec: { replicas: 1, strategy: { type: 'Recreate' }, selector: { matchLabels: { ...componentSelector(id, component) } },
      template: { metadata: { labels: metadata.labels }, spec: flinkPodSpec([container], nodes, { volumes: [configVolume(id)] }) } },
  };
}

export function sessionJobManagerDeployment(id: ClusterIdentity, spec: SessionClusterSpec, placement: ClusterPlacement): V1Deployment {
  const container = compose({ name: 'jobmanager', image: placement.image, args: ['jobmanager'] },
    withResources(spec.jobManager, 'jobmanager'), withRestrictedSecurity, withEnv([]), withConfigMount,
    withPorts({ rpc: PORTS.rpc, blob: PORTS.blob, rest: PORTS.rest }), withProbes(PORTS.rest, '/config'));
  return sessionDeployment(id, 'jobmanager', container, placement.nodes);
}

/** The gateway is sized like the JobManager: it plans every preview's statement, which is JobManager-sized work. */
export function gatewayDeployment(id: ClusterIdentity, spec: SessionClusterSpec, placement: ClusterPlacement): V1Deployment {
  const container = compose({ name: 'gateway', image: placement.image, args: ['/opt/flink/bin/sql-gateway.sh', 'start-foreground'] },
    withResources(spec.jobManager, 'gateway'), withRestrictedSecurity, withEnv([]), withConfigMount,
    withPorts({ gateway: PORTS.gateway }), withProbes(PORTS.gateway, '/v1/info'));
  return sessionDeployment(id, 'gateway', container, placement.nodes);
}

export function gatewayService(id: ClusterIdentity): V1Service {
  return {
    apiVersion: 'v1', kind: 'Service', metadata: clusterMetadata(id, objectNames(id.cluster).gateway, 'gateway'),
    spec: { type: 'ClusterIP', selector: { ...componentSelector(id, 'gateway') },
      ports: [{ name: 'gateway', port: PORTS.gateway, targetPort: PORTS.gateway, protocol: 'TCP' }] },
  };
}

export function sessionClusterObjects(id: ClusterIdentity, spec: SessionClusterSpec, placement: ClusterPlacement): { root: V1ConfigMap; dependents: KubernetesObject[] } {
  return {
    root: sessionConfigMap(id, spec, placement),
    dependents: [allowWithinCluster(id), jobManagerService(id), gatewayService(id), sessionJobManagerDeployment(id, spec, placement), gatewayDeployment(id, spec, placement)],
  };
}

/**
 * A bare pod, not a Deployment: the pool kills one specific TaskManager after its preview, and a
 * Deployment would bring it back. `restartPolicy: Never` for the same reason: a TaskManager that
 * died mid-preview must not rejoin the pool as if it were fresh. Its name is its Flink resource id.
 */
export function poolTaskManagerPod(id: ClusterIdentity, template: PoolTaskManagerTemplate, taskManagerId: string, nodes: PodPlacement = {}): V1Pod {
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: clusterMetadata(id, taskManagerId, 'taskmanager', { [POOL]: 'idle' }),
    spec: flinkPodSpec([taskManagerContainer(template.taskManager, template.image)], nodes, { restartPolicy: 'Never', volumes: [configVolume(id)] }),
  };
}
