import type { V1Container, V1EnvVar, V1PodSpec, V1Probe, V1Toleration } from '@kubernetes/client-node';
import type { ProcessResources, SecretEnv } from '../../types';
import type { Component } from './labels';

/**
 * One aspect of a Flink container or pod per function, after Flink's own `KubernetesStepDecorator`s:
 * each takes what the previous made and adds one thing, so each is read and tested on its own.
 */
export const PORTS = { rpc: 6123, blob: 6124, rest: 8081, gateway: 8083, taskManagerRpc: 6122 } as const;
/** The official image's `flink` user; Pod Security `restricted` wants a non-root uid spelled out. */
export const FLINK_UID = 9999;
/**
 * Not the image's own `/opt/flink/conf`: the 2.x entrypoint rewrites `conf/config.yaml` on every
 * start (`jobmanager.rpc.address` becomes the pod's hostname), which would fight a read-only mount.
 * Flink's scripts read FLINK_CONF_DIR instead, so the fleet's config stays exactly as rendered.
 */
export const CONF_DIR = '/opt/flink/fleet-conf';
/**
 * Not usrlib: when that folder exists, standalone application mode looks for the entry class in the
 * jars inside it only, and SqlDriver lives in Flink's lib (seen on the real node: "No JAR with
 * manifest attribute for entry class"). A folder of the fleet's own holds nothing but the script.
 */
export const SQL_SCRIPT_DIR = '/opt/flink/fleet-sql';
/** Where standalone application mode downloads `--jars` URIs to (`user.artifacts.base-dir`). */
export const ARTIFACTS_DIR = '/opt/flink/artifacts';
export const CONFIG_VOLUME = 'flink-config';

export type ContainerStep = (container: V1Container) => V1Container;

export function compose(container: V1Container, ...steps: readonly ContainerStep[]): V1Container {
  return steps.reduce((current, step) => step(current), container);
}

/**
 * Local disk of a container whose spec names none. A TaskManager keeps RocksDB's working files and
 * spills there; a JobManager (and the gateway, sized like it) only logs, blobs and downloaded jars.
 */
export const DEFAULT_EPHEMERAL_STORAGE_MB: Readonly<Record<Component, number>> = { jobmanager: 2048, gateway: 2048, taskmanager: 4096 };

export function ephemeralStorageMb(resources: ProcessResources, role: Component): number {
  return resources.ephemeralStorageMb ?? DEFAULT_EPHEMERAL_STORAGE_MB[role];
}

/**
 * Requests equal limits: a JVM sized by `*.memory.process.size` uses all of it, so a lower request
 * only invites the scheduler to overcommit the node and the kernel to OOM-kill the process later.
 * Likewise for disk: the kubelet evicts a pod that writes past its limit, so the scheduler and the
 * tenant's quota reserve all of it up front.
 */
export function withResources(resources: ProcessResources, role: Component): ContainerStep {
  const quantities = { cpu: `${Math.round(resources.cpu * 1000)}m`, memory: `${resources.memoryMb}Mi`,
    'ephemeral-storage': `${ephemeralStorageMb(resources, role)}Mi` };
  return (container) => ({ ...container, resources: { requests: { ...quantities }, limits: { ...quantities } } });
}

export const withRestrictedSecurity: ContainerStep = (container) => ({
  ...container,
  securityContext: {
    runAsNonRoot: true, runAsUser: FLINK_UID, runAsGroup: FLINK_UID, allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
  },
});

/** The pod IP, for Flink addresses that must name this pod rather than the Service (HA leaders, TaskManagers). */
const POD_IP: V1EnvVar = { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } };
/** A TaskManager's resource id is its pod name, so a TaskManager Flink names is a pod one can delete. */
const POD_NAME: V1EnvVar = { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } };

export function withEnv(secretEnv: readonly SecretEnv[]): ContainerStep {
  const fromSecrets = secretEnv.map(({ env, secretName, key }): V1EnvVar => ({ name: env, valueFrom: { secretKeyRef: { name: secretName, key } } }));
  return (container) => ({ ...container, env: [...(container.env ?? []), POD_IP, POD_NAME, ...fromSecrets] });
}

export const withConfigMount: ContainerStep = (container) => ({
  ...container,
  env: [...(container.env ?? []), { name: 'FLINK_CONF_DIR', value: CONF_DIR }],
  volumeMounts: [...(container.volumeMounts ?? []), { name: CONFIG_VOLUME, mountPath: CONF_DIR, readOnly: true }],
});

/**
 * A generous startup window (a JobManager restoring a large savepoint is slow to open its port), then
 * liveness by TCP only: an HTTP liveness probe would restart a JobManager merely busy under load.
 */
export function withProbes(port: number, readinessPath?: string): ContainerStep {
  const tcp: V1Probe = { tcpSocket: { port } };
  const readiness: V1Probe = readinessPath ? { httpGet: { path: readinessPath, port } } : tcp;
  return (container) => ({
    ...container,
    startupProbe: { ...tcp, periodSeconds: 5, failureThreshold: 60 },
    livenessProbe: { ...tcp, periodSeconds: 10, failureThreshold: 3 },
    readinessProbe: { ...readiness, periodSeconds: 5, failureThreshold: 3 },
  });
}

export function withPorts(ports: Readonly<Record<string, number>>): ContainerStep {
  return (container) => ({ ...container, ports: Object.entries(ports).map(([name, containerPort]) => ({ name, containerPort })) });
}

/** Which nodes Flink's pods may run on (a node pool of their own, kept free of other pods by a taint), and under which container runtime. */
export interface PodPlacement {
  readonly nodeSelector?: Readonly<Record<string, string>>;
  readonly tolerations?: readonly V1Toleration[];
  /** The tenant plan's RuntimeClass. */
  readonly runtimeClassName?: string;
}

/** Pod-level settings every Flink pod shares: Pod Security `restricted` also checks the pod's own context. */
export function flinkPodSpec(containers: V1Container[], nodes: PodPlacement, extra: Partial<V1PodSpec> = {}): V1PodSpec {
  return {
    securityContext: { runAsNonRoot: true, runAsUser: FLINK_UID, fsGroup: FLINK_UID, seccompProfile: { type: 'RuntimeDefault' } },
    automountServiceAccountToken: false,
    ...(nodes.nodeSelector ? { nodeSelector: { ...nodes.nodeSelector } } : {}),
    ...(nodes.tolerations ? { tolerations: [...nodes.tolerations] } : {}),
    ...(nodes.runtimeClassName ? { runtimeClassName: nodes.runtimeClassName } : {}),
    ...extra,
    containers,
    volumes: [...(extra.volumes ?? [])],
  };
}
