import type { AutoscalerPolicy } from './spec';

/**
 * The automatic half of rescaling: from looks at the job's own load, a parallelism and why. Pure and
 * deterministic (workflow time comes in as `now`), so it runs in the workflow and is tested in milliseconds.
 *
 * After the Flink Kubernetes Operator's autoscaler, which sizes each vertex by
 * `parallelism × busy time / target utilization`, with these differences:
 * - One parallelism for the whole job (what `PUT resource-requirements` with one bound per job gives
 *   us): the busiest vertex that Flink can measure decides. Sources report no busy time.
 * - Back-pressure counts as load, not as spare capacity: a vertex waiting on a slower one downstream
 *   looks idle by busy time alone. Any vertex back-pressured beyond 30 % asks for more; no scale-down
 *   while anything is back-pressured.
 * - A decision needs every look of a full window to agree, and each rescale is followed by a
 *   stabilization period whose looks are dropped (the restart's own catch-up is not the workload).
 * - Scale-down takes the highest demand seen in the window, scale-up at least one step, so a
 *   borderline load cannot make the job flap.
 */
export interface VertexLoad {
  readonly name: string;
  /** Share of time busy, 0..1, averaged over the vertex's subtasks; absent where Flink measures none (sources). */
  readonly busy?: number;
  /** Share of time back-pressured, 0..1, of its worst subtask. */
  readonly backPressured: number;
}

export interface LoadSample {
  /** Workflow time of the look. */
  readonly at: number;
  readonly jobId: string;
  readonly parallelism: number;
  readonly vertices: readonly VertexLoad[];
}

/** `to === from` is a hold; `reason` is for a person and names the numbers it rests on. */
export interface AutoscalerDecision {
  readonly at: string;
  readonly from: number;
  readonly to: number;
  readonly reason: string;
}

/** What the autoscaler knows; carried across continue-as-new and shown by the status query. */
export interface AutoscalerState {
  samples: LoadSample[];
  /** The latest decision, hold or not. */
  lastDecision?: AutoscalerDecision;
  /** The decisions that rescaled (or tried to), oldest first, each with how it went. */
  rescales: (AutoscalerDecision & { outcome: string })[];
  lastRescaleAt?: number;
}

export function newAutoscalerState(): AutoscalerState {
  return { samples: [], rescales: [] };
}

const UP_MARGIN = 0.15;
const DOWN_MARGIN = 0.3;
const PRESSURE_UP = 0.3;
const PRESSURE_QUIET = 0.05;

const percent = (share: number): string => `${Math.round(share * 100)}%`;

interface Look {
  readonly busiest?: VertexLoad & { readonly busy: number };
  readonly pressed?: VertexLoad;
}

function look(sample: LoadSample): Look {
  const measured = sample.vertices.filter((v): v is VertexLoad & { busy: number } => v.busy !== undefined);
  const busiest = measured.reduce<Look['busiest']>((top, v) => (top === undefined || v.busy > top.busy ? v : top), undefined);
  const pressed = sample.vertices.reduce<VertexLoad | undefined>((top, v) => (top === undefined || v.backPressured > top.backPressured ? v : top), undefined);
  return { busiest, pressed };
}

function describe({ busiest, pressed }: Look): string {
  const busy = busiest ? `${busiest.name} ${percent(busiest.busy)} busy` : 'no vertex with a busy time';
  return pressed && pressed.backPressured >= PRESSURE_QUIET ? `${busy}, ${pressed.name} ${percent(pressed.backPressured)} back-pressured` : busy;
}

/**
 * The policy's bounds within the plan's: the plan (how many TaskManagers of this size the tenant's
 * quota holds) wins over a policy that asks for more, since a rescale beyond it fails in the
 * activity and leaves the job where it was. `cap` is the reason's suffix when the plan cut the policy.
 */
function boundsOf(policy: AutoscalerPolicy, planMaxParallelism: number | undefined): { min: number; max: number; cap?: string } {
  if (planMaxParallelism === undefined || planMaxParallelism >= policy.maxParallelism) return { min: policy.minParallelism, max: policy.maxParallelism };
  return { min: Math.min(policy.minParallelism, planMaxParallelism), max: planMaxParallelism, cap: `capped at the plan's ${planMaxParallelism}` };
}

export function decideRescale(
  policy: AutoscalerPolicy, samples: readonly LoadSample[], parallelism: number, now: number, lastRescaleAt?: number, planMaxParallelism?: number,
): AutoscalerDecision {
  const at = new Date(now).toISOString();
  const to = (target: number, reason: string): AutoscalerDecision => ({ at, from: parallelism, to: target, reason });
  const hold = (reason: string): AutoscalerDecision => to(parallelism, reason);
  const { min, max, cap } = boundsOf(policy, planMaxParallelism);
  const clamp = (p: number): number => Math.min(max, Math.max(min, p));
  const maximum = cap ? `the plan's maximum ${max}` : `the policy's maximum ${max}`;
  const minimum = min < policy.minParallelism ? `the policy's minimum ${policy.minParallelism}, ${cap}` : `the policy's minimum ${min}`;

  if (parallelism > max) return to(max, `parallelism ${parallelism} is above ${maximum}`);
  if (parallelism < min) return to(min, `parallelism ${parallelism} is below ${minimum}`);
  const settledAt = (lastRescaleAt ?? -Infinity) + policy.stabilizationSeconds * 1000;
  if (now < settledAt) return hold(`stabilizing after the last rescale for ${Math.ceil((settledAt - now) / 1000)} s more`);
  const window = samples.filter((s) => s.parallelism === parallelism && s.at >= settledAt).slice(-policy.window);
  if (window.length < policy.window) return hold(`collecting looks at the load: ${window.length} of ${policy.window}`);

  const looks = window.map(look);
  const latest = describe(looks.at(-1) as Look);
  const target = policy.targetUtilization;
  const needed = (l: Look): number => Math.ceil((parallelism * (l.busiest?.busy ?? 0)) / target);
  const overloaded = (l: Look): boolean => (l.busiest?.busy ?? 0) > Math.min(0.95, target + UP_MARGIN) || (l.pressed?.backPressured ?? 0) > PRESSURE_UP;
  const underloaded = (l: Look): boolean => l.busiest !== undefined && l.busiest.busy < target - DOWN_MARGIN && (l.pressed?.backPressured ?? 0) < PRESSURE_QUIET;
  const over = `in each of the last ${window.length} looks (target ${percent(target)})`;

  if (looks.every(overloaded)) {
    const wanted = Math.max(parallelism + 1, ...looks.map(needed));
    const up = clamp(wanted);
    if (up === parallelism) return hold(`overloaded (${latest}) ${over}, but already at ${maximum}`);
    const capped = cap && wanted > up ? `, ${cap}` : '';
    return to(up, `overloaded: ${latest} ${over}${capped}`);
  }
  if (looks.every(underloaded)) {
    const down = clamp(Math.max(1, ...looks.map(needed)));
    if (down < parallelism) return to(down, `underloaded: ${latest}, nothing back-pressured, ${over}`);
    return hold(`underloaded (${latest}) ${over}, but already at ${minimum}`);
  }
  return hold(`within the target's band: ${latest} (target ${percent(target)})`);
}
