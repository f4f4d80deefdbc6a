import type { RescaleRequest } from './api';
import type { Phase } from './phases';
import { parallelismProblem } from './spec';

/** What the rescale Update's validator reads of a pipeline's life. */
export interface RescaleCandidate {
  readonly ref: { readonly tenant: string; readonly name: string };
  readonly phase: Phase;
  readonly stopRequest?: unknown;
  /** The parallelism a rescale in progress is taking the job to. */
  readonly rescaling?: number;
  /** The widest parallelism the tenant's plan holds for this cluster, as its deploy reported; absent where no plan limits it. */
  readonly planMaxParallelism?: number;
}

export interface RescaleRefusal {
  readonly type: 'InvalidSpec' | 'NotRunning' | 'RescaleInProgress';
  readonly message: string;
}

/**
 * Why a rescale may not even be recorded, or undefined when it may. The value first (it is wrong in
 * any phase), then the pipeline's state, then the plan, which is known only once a cluster was
 * deployed. Pure.
 */
export function rescaleRefusal(life: RescaleCandidate, request: RescaleRequest): RescaleRefusal | undefined {
  const pipeline = `${life.ref.tenant}/${life.ref.name}`;
  const problem = parallelismProblem(request?.parallelism);
  if (problem) return { type: 'InvalidSpec', message: `invalid rescale of pipeline ${pipeline}: ${problem}` };
  if (life.phase !== 'Running' || life.stopRequest) {
    const now = life.phase === 'Running' ? 'stopping' : life.phase;
    return { type: 'NotRunning', message: `pipeline ${pipeline} is ${now}, not Running: only a running job can be rescaled` };
  }
  if (life.rescaling !== undefined) return { type: 'RescaleInProgress', message: `pipeline ${pipeline} is already being rescaled to ${life.rescaling}` };
  if (life.planMaxParallelism !== undefined && request.parallelism > life.planMaxParallelism) {
    return {
      type: 'InvalidSpec',
      message: `invalid rescale of pipeline ${pipeline}: parallelism: must be at most ${life.planMaxParallelism}, `
        + `the most tenant ${life.ref.tenant}'s plan holds at this pipeline's TaskManager size`,
    };
  }
  return undefined;
}
