import { BASE_OPTIONS, renderFlinkConfig, SESSION_OPTIONS, type FlinkOptions } from '../../../flink/config';
import type { ApplicationClusterSpec, ProcessResources, SessionClusterSpec } from '../../types';
import { APPLICATION_OPTIONS } from '../../local/cluster-config';
import { ARTIFACTS_DIR, PORTS } from './container';
import type { ClusterIdentity } from './labels';
import { objectNames } from './labels';
import { objectStorageOptions, type ObjectStorage } from './storage';

/**
 * Flink's `config.yaml` for a cluster on Kubernetes. Pure. Containers listen on all interfaces and
 * find the JobManager through the cluster's Service; memory sizes are the container limits, so a
 * JVM can never be configured larger than the kernel lets it be.
 */
export const LOG4J_CONSOLE = [
  'rootLogger.level = INFO',
  'rootLogger.appenderRef.console.ref = ConsoleAppender',
  'logger.akka.name = org.apache.pekko',
  'logger.akka.level = INFO',
  'logger.kafka.name = org.apache.kafka',
  'logger.kafka.level = INFO',
  'logger.netty.name = org.jboss.netty.channel.DefaultChannelPipeline',
  'logger.netty.level = OFF',
  'appender.console.name = ConsoleAppender',
  'appender.console.type = CONSOLE',
  'appender.console.layout.type = PatternLayout',
  'appender.console.layout.pattern = %d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %x - %m%n',
  '',
].join('\n');

function memoryOptions(jobManager: ProcessResources, taskManager: ProcessResources): FlinkOptions {
  return { 'jobmanager.memory.process.size': `${jobManager.memoryMb}m`, 'taskmanager.memory.process.size': `${taskManager.memoryMb}m` };
}

function networkOptions(id: ClusterIdentity): FlinkOptions {
  const service = objectNames(id.cluster).service;
  return {
    'jobmanager.rpc.address': service, 'jobmanager.rpc.port': PORTS.rpc, 'jobmanager.bind-host': '0.0.0.0',
    'blob.server.port': PORTS.blob, 'rest.address': service, 'rest.port': PORTS.rest, 'rest.bind-address': '0.0.0.0',
    'taskmanager.rpc.port': PORTS.taskManagerRpc, 'taskmanager.bind-host': '0.0.0.0',
  };
}

/** State outlives the cluster: checkpoints and savepoints go to the storage of the cluster's name. */
function storageOptions(storageUri: string): FlinkOptions {
  return { 'execution.checkpointing.dir': `${storageUri}/checkpoints`, 'execution.checkpointing.savepoint-dir': `${storageUri}/savepoints` };
}

/**
 * Kubernetes HA keeps the leader and the checkpoint pointers in ConfigMaps labelled with the
 * cluster id, so a restarted JobManager pod resumes the job from its latest checkpoint by itself.
 */
export function haOptions(id: ClusterIdentity, storageUri: string, jobId: string): FlinkOptions {
  return {
    // Per job id, i.e. per deployment: the job and application result stores outlive the cluster, and
    // a new cluster of the same name that found them took its new job as already finished (seen on the real node).
    'high-availability.type': 'kubernetes', 'high-availability.storageDir': `${storageUri}/ha/${jobId}`,
    'kubernetes.cluster-id': id.cluster, 'kubernetes.namespace': id.namespace,
  };
}

export function applicationFlinkOptions(id: ClusterIdentity, spec: ApplicationClusterSpec, storageUri: string, objectStorage: ObjectStorage = {}): FlinkOptions {
  return {
    ...BASE_OPTIONS, ...APPLICATION_OPTIONS, ...spec.flinkOptions,
    ...memoryOptions(spec.jobManager, spec.taskManager), ...networkOptions(id), ...storageOptions(storageUri), ...objectStorageOptions(objectStorage), ...haOptions(id, storageUri, spec.jobId),
    'parallelism.default': spec.parallelism,
    'taskmanager.numberOfTaskSlots': spec.slotsPerTaskManager,
    'user.artifacts.base-dir': ARTIFACTS_DIR,
    ...(spec.restoreFrom ? { 'execution.state-recovery.path': spec.restoreFrom } : {}),
  };
}

/** Pool TaskManagers have one slot each: that is what isolates one preview from another. */
export function sessionFlinkOptions(id: ClusterIdentity, spec: SessionClusterSpec, storageUri: string): FlinkOptions {
  return {
    ...BASE_OPTIONS, ...spec.flinkOptions,
    ...memoryOptions(spec.jobManager, spec.taskManager), ...networkOptions(id), ...storageOptions(storageUri), ...SESSION_OPTIONS,
    'taskmanager.numberOfTaskSlots': 1,
    'sql-gateway.endpoint.rest.address': objectNames(id.cluster).gateway,
    'sql-gateway.endpoint.rest.bind-address': '0.0.0.0',
    'sql-gateway.endpoint.rest.port': PORTS.gateway,
  };
}

export const CONFIG_FILE = 'config.yaml';
export const LOG4J_FILE = 'log4j-console.properties';
export const SQL_SCRIPT_FILE = 'pipeline.sql';

export function configFiles(options: FlinkOptions, sqlScript?: string): Record<string, string> {
  return { [CONFIG_FILE]: renderFlinkConfig(options), [LOG4J_FILE]: LOG4J_CONSOLE, ...(sqlScript === undefined ? {} : { [SQL_SCRIPT_FILE]: sqlScript }) };
}
