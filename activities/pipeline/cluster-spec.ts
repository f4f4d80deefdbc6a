import type { DeployPipelineInput } from '../../workflows/pipeline/activity-types';
import type { ApplicationClusterSpec } from '../runtime/types';

/** The runtime's view of a validated pipeline spec. Pure. */
export function applicationClusterSpec({ spec, jobId, restoreFrom }: DeployPipelineInput): ApplicationClusterSpec {
  return {
    tenant: spec.tenant,
    name: spec.name,
    jobId,
    job: spec.job.kind === 'sql'
      ? { kind: 'sql', script: spec.job.script }
      : { kind: 'jar', digest: spec.job.jar, entryClass: spec.job.entryClass, args: spec.job.args },
    parallelism: spec.parallelism,
    slotsPerTaskManager: spec.slotsPerTaskManager,
    jobManager: spec.jobManager,
    taskManager: spec.taskManager,
    restoreFrom,
    flinkOptions: spec.flinkOptions,
    secretEnv: spec.secretEnv,
    egress: spec.egress,
  };
}
