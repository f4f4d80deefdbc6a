import { join } from 'node:path';
import { BASE_OPTIONS, SESSION_OPTIONS, type FlinkOptions } from '../../flink/config';
import type { ApplicationClusterSpec, ProcessResources } from '../types';
import type { ClusterRecord, TenantClusterLayout } from './layout';

/**
 * The local runtime's JVMs compile with C1 only. One machine runs many short-lived JVMs (previews,
 * tests, a dev stack), and the C2 compiler's work is most of their CPU: a session cluster with one
 * TaskManager started and ran a 20,000-row query on 21 s of CPU instead of 42-49 s, in half the
 * time on a loaded machine. A long CPU-bound pipeline peaks lower without C2; the Kubernetes
 * runtime, where production runs, keeps Flink's tiered default.
 */
export const LOCAL_JIT = '-XX:TieredStopAtLevel=1';

/**
 * The config.yaml of a cluster on this machine: every endpoint on loopback at the ports recorded for
 * the cluster, every folder inside the cluster's own, state in storage that outlives it. Pure.
 */
export function localClusterOptions(
  record: ClusterRecord,
  layout: TenantClusterLayout,
  resources: { jobManager: ProcessResources; taskManager: ProcessResources },
): FlinkOptions {
  const tmp = join(layout.dir, 'tmp');
  const options: Record<string, string | number | boolean> = {
    ...BASE_OPTIONS,
    // Flink's table planner unpacks a 46 MB jar into java.io.tmpdir in every JVM that plans SQL, and
    // only an orderly exit deletes it: each JobManager, TaskManager or gateway killed left one in /tmp.
    'env.java.opts.all': `${BASE_OPTIONS['env.java.opts.all']} -Djava.io.tmpdir=${tmp} ${LOCAL_JIT}`,
    'jobmanager.memory.process.size': `${resources.jobManager.memoryMb}m`,
    'taskmanager.memory.process.size': `${resources.taskManager.memoryMb}m`,
    'jobmanager.rpc.address': '127.0.0.1',
    'jobmanager.rpc.port': record.ports.rpc,
    'jobmanager.bind-host': '127.0.0.1',
    'rest.address': '127.0.0.1',
    'rest.bind-address': '127.0.0.1',
    'rest.port': record.ports.rest,
    'taskmanager.host': '127.0.0.1',
    'taskmanager.bind-host': '127.0.0.1',
    'io.tmp.dirs': tmp,
    'execution.checkpointing.dir': `file://${join(layout.storage, 'checkpoints')}`,
    'execution.checkpointing.savepoint-dir': `file://${join(layout.storage, 'savepoints')}`,
  };
  if (record.kind === 'session') Object.assign(options, SESSION_OPTIONS);
  if (record.ports.gateway !== undefined) {
    options['sql-gateway.endpoint.rest.address'] = '127.0.0.1';
    options['sql-gateway.endpoint.rest.bind-address'] = '127.0.0.1';
    options['sql-gateway.endpoint.rest.port'] = record.ports.gateway;
  }
  return options;
}

/**
 * What makes an application cluster observable and restartable by the workflow rather than by Flink
 * alone: the JobManager stays up after the job ends so its final state can be read (as the Flink
 * Kubernetes Operator does), a job that fails at submission is reported as a FAILED job instead of a
 * vanished JobManager, and retained checkpoints survive a failure or cancel for a redeploy. The
 * adaptive scheduler lets a rescale change the running job's parallelism in place
 * (`PUT /jobs/:id/resource-requirements`) instead of through a savepoint and a new cluster.
 */
export const APPLICATION_OPTIONS: FlinkOptions = {
  'jobmanager.scheduler': 'adaptive',
  'execution.shutdown-on-application-finish': false,
  'execution.submit-failed-job-on-application-error': true,
  'execution.checkpointing.externalized-checkpoint-retention': 'RETAIN_ON_CANCELLATION',
  'execution.checkpointing.interval': '10 s',
  'restart-strategy.type': 'fixed-delay',
  'restart-strategy.fixed-delay.attempts': 2,
  'restart-strategy.fixed-delay.delay': '2 s',
};

/**
 * An application cluster's whole config.yaml on this machine: the local endpoints and folders, the
 * class archives found (`classArchives`, the runtime's disk question), the application options, the
 * tenant's options and the spec's own numbers last. Pure; the bench writes the same for raw Flink.
 */
export function applicationClusterOptions(record: ClusterRecord, layout: TenantClusterLayout, spec: ApplicationClusterSpec, classArchives: FlinkOptions): FlinkOptions {
  return {
    ...localClusterOptions(record, layout, spec), ...classArchives, ...APPLICATION_OPTIONS, ...spec.flinkOptions,
    'parallelism.default': spec.parallelism,
    'taskmanager.numberOfTaskSlots': spec.slotsPerTaskManager,
    ...(spec.restoreFrom ? { 'execution.state-recovery.path': spec.restoreFrom } : {}),
  };
}

const SQL_DRIVER = 'org.apache.flink.table.runtime.application.SqlDriver';

/** `standalone-job.sh`'s arguments for a SQL script: Flink's own SqlDriver runs the file at `scriptPath`. */
export function sqlJobArguments(jobId: string, scriptPath: string): string[] {
  return ['--job-id', jobId, '--job-classname', SQL_DRIVER, '--scriptUri', `file://${scriptPath}`];
}
