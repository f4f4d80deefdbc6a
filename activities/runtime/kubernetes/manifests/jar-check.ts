import type { V1Container, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import { digestHex } from '../../../../workflows/pipeline/jar-digest';
import { JAR_FETCHER_FILE, JAR_FETCHER_MAIN } from '../jar-fetcher/location';
import { compose, withConfigMount, withResources, withRestrictedSecurity } from './container';
import { objectNames, type ClusterIdentity } from './labels';
import { withStorageCredentials, type ObjectStorage } from './storage';
import type { ProcessResources } from '../../types';

/**
 * A jar connection's jar is checked where Flink reads it: an init container of the JobManager's pod
 * fetches it from the tenant's artifact area with the pod's own storage credentials, hashes it, and
 * writes it into a folder of the pod only when its bytes are the digest's; the JobManager mounts that
 * folder read-only and is given the copy (`local://`: Flink uses it in place, fetches nothing). The
 * artifact area is writable by the tenant's own pods, so a check anywhere else (the worker reading it
 * first) would leave a window in which the bytes could change. TaskManagers read no jar from storage:
 * Flink ships the job's jars to them from the JobManager's blob server. Pure.
 */
export const JAR_FETCHER_CONTAINER = 'jar-fetcher';
/** The checked copy's folder: written by the fetcher, read-only for Flink. */
export const CHECKED_JAR_DIR = '/opt/flink/fleet-jar';
const CHECKED_JAR_VOLUME = 'checked-jar';
const JAR_FETCHER_DIR = '/opt/flink/fleet-jar-fetcher';
const JAR_FETCHER_VOLUME = 'jar-fetcher';
/** Where the Flink image keeps its plugins (the S3 file systems); the fetcher loads them as Flink does. */
const PLUGINS_DIR = '/opt/flink/plugins';

/** The checked copy's path in the pod. */
export function checkedJarPath(digest: string): string {
  return `${CHECKED_JAR_DIR}/${digestHex(digest)}.jar`;
}

/** The key of the cluster's ConfigMap that carries the fetcher's jar, built by the installer, given to the worker. */
export function jarFetcherData(jarFetcher: Buffer): Record<string, string> {
  return { [JAR_FETCHER_FILE]: jarFetcher.toString('base64') };
}

export function jarCheckVolumes(id: ClusterIdentity): V1Volume[] {
  return [
    { name: CHECKED_JAR_VOLUME, emptyDir: {} },
    { name: JAR_FETCHER_VOLUME, configMap: { name: objectNames(id.cluster).config, items: [{ key: JAR_FETCHER_FILE, path: JAR_FETCHER_FILE }] } },
  ];
}

/** The JobManager's only way to the jar. */
export const checkedJarMount: V1VolumeMount = { name: CHECKED_JAR_VOLUME, mountPath: CHECKED_JAR_DIR, readOnly: true };

/**
 * Sized as the JobManager it precedes, so the pod asks for no more than before (a pod's request is
 * the larger of its init containers' and the sum of its containers'). Gets the storage credentials
 * and the config, not the tenant's secretEnv: it needs only to read the area. A small JVM: it only
 * copies a file. Its termination message (the reason JarFetcher writes, or its log's tail when it
 * crashed) is what the runtime reads when it fails.
 */
export function jarFetcherContainer(input: {
  readonly image: string; readonly source: string; readonly digest: string; readonly resources: ProcessResources; readonly objectStorage: ObjectStorage;
}): V1Container {
  const java = ['java', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-cp', `/opt/flink/lib/*:${JAR_FETCHER_DIR}/${JAR_FETCHER_FILE}`, JAR_FETCHER_MAIN];
  return compose({
    name: JAR_FETCHER_CONTAINER, image: input.image, command: [...java, input.source, input.digest, checkedJarPath(input.digest)],
    env: [{ name: 'FLINK_PLUGINS_DIR', value: PLUGINS_DIR }], terminationMessagePolicy: 'FallbackToLogsOnError',
    volumeMounts: [{ name: CHECKED_JAR_VOLUME, mountPath: CHECKED_JAR_DIR }, { name: JAR_FETCHER_VOLUME, mountPath: JAR_FETCHER_DIR, readOnly: true }],
  }, withResources(input.resources, 'jobmanager'), withRestrictedSecurity, withStorageCredentials(input.objectStorage), withConfigMount);
}
