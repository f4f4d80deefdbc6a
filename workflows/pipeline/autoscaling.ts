import { CancellationScope, condition, isCancellation, log, patched, proxyActivities, setCurrentDetails, sleep } from '@temporalio/workflow';
import type { createPipelineActivities } from '../../activities/pipeline/activities';
import { decideRescale, type AutoscalerState } from './autoscaler';
import { rescale, type RescalableLife } from './rescale';
import type { AutoscalerPolicy } from './spec';

const { observeJobLoad } = proxyActivities<ReturnType<typeof createPipelineActivities>>({
  startToCloseTimeout: '1 minute', retry: { maximumAttempts: 2, initialInterval: '1 second' },
});

/** How many rescale decisions the status and the UI keep. */
const KEPT_RESCALES = 10;

/** Shown as the workflow's current details in the Temporal UI. */
function showInUi(policy: AutoscalerPolicy, state: AutoscalerState): void {
  const rescales = state.rescales.map((r) => `- ${r.at}: ${r.from} → ${r.to}, ${r.reason} (${r.outcome})`).reverse();
  setCurrentDetails([
    `**Autoscaler**: parallelism ${policy.minParallelism}..${policy.maxParallelism}, target utilization ${Math.round(policy.targetUtilization * 100)}%`,
    `Last look (${state.lastDecision?.at ?? 'none yet'}): ${state.lastDecision?.reason ?? '-'}`,
    ...(rescales.length > 0 ? ['Rescales, newest first:', ...rescales] : []),
  ].join('\n\n'));
}

function readyToRescale(life: RescalableLife, paused: () => boolean): boolean {
  return life.phase === 'Running' && life.stopRequest === undefined && life.rescaling === undefined && !paused();
}

/** Looks at the load every interval while the job runs, and rescales when `decideRescale` says so. */
async function autoscale(life: RescalableLife, policy: AutoscalerPolicy, state: AutoscalerState, paused: () => boolean): Promise<never> {
  showInUi(policy, state);
  for (;;) {
    await sleep(policy.intervalSeconds * 1000);
    const jobId = life.jobId;
    if (!readyToRescale(life, paused) || jobId === undefined) continue;
    const load = await observeJobLoad({ ...life.ref, jobId }).catch((error: unknown) => {
      if (isCancellation(error)) throw error;
      return undefined;
    });
    // The job may have restarted, been stopped or been rescaled by hand while we looked.
    if (load === undefined || life.jobId !== jobId || !readyToRescale(life, paused)) continue;
    state.samples = [...state.samples.filter((s) => s.jobId === jobId), { ...load, at: Date.now() }].slice(-policy.window);
    // Histories whose autoscaler asked past the plan (and failed in the activity) replay without the bound.
    const planMaxParallelism = patched('autoscaler-within-plan') ? life.planMaxParallelism : undefined;
    const decision = decideRescale(policy, state.samples, life.spec.parallelism, Date.now(), state.lastRescaleAt, planMaxParallelism);
    state.lastDecision = decision;
    if (decision.to !== decision.from) {
      log.info('autoscaler rescales', { tenant: life.ref.tenant, pipeline: life.ref.name, from: decision.from, to: decision.to, reason: decision.reason });
      state.lastRescaleAt = Date.now();
      state.samples = [];
      const outcome = await rescale(life, { parallelism: decision.to }).then(() => 'done', (error: unknown) => {
        if (isCancellation(error)) throw error;
        return `failed: ${error instanceof Error ? error.message : String(error)}`;
      });
      state.rescales = [...state.rescales, { ...decision, outcome }].slice(-KEPT_RESCALES);
    }
    showInUi(policy, state);
  }
}

/**
 * Runs the policy beside the pipeline's own loop. `stop` lets a rescale in flight finish (a savepoint
 * or a continue-as-new mid-rescale would lose it), then ends the loop; it must be awaited.
 */
export function startAutoscaler(life: RescalableLife, policy: AutoscalerPolicy | undefined, state: AutoscalerState): { stop(): Promise<void> } {
  if (!policy) return { stop: async () => undefined };
  let paused = false;
  const scope = new CancellationScope();
  const running = scope.run(() => autoscale(life, policy, state, () => paused)).catch((error: unknown) => {
    if (!isCancellation(error)) throw error;
  });
  return {
    stop: () => CancellationScope.nonCancellable(async () => {
      paused = true;
      await condition(() => life.rescaling === undefined);
      scope.cancel();
      await running;
    }),
  };
}
