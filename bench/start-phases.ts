import { median } from './report';

/** One history event as the breakdown needs it: when, and which activity it schedules or completes. */
export interface StartEvent {
  readonly id: number;
  readonly atMs: number;
  /** An ActivityTaskScheduled event names its activity. */
  readonly scheduled?: string;
  /** An ActivityTaskCompleted event points at its scheduled event. */
  readonly completes?: number;
}

export interface StartPhase {
  readonly name: string;
  readonly ms: number;
}

/**
 * Pure: a pipeline's start, from the caller's call (`calledAtMs`) to the caller seeing Running
 * (`runningAtMs`), cut at its history's events: until the workflow started, each activity that
 * completed in the meantime (scheduled → completed) and the workflow's own time between them, and
 * the caller's last poll. Consecutive phases, so they add up to the whole.
 */
export function startPhases(events: readonly StartEvent[], calledAtMs: number, runningAtMs: number): StartPhase[] {
  const [first] = events;
  if (!first) return [];
  const types = new Map(events.flatMap((e) => (e.scheduled ? [[e.id, e.scheduled] as const] : [])));
  const scheduledAt = new Map(events.map((e) => [e.id, e.atMs]));
  const phases: StartPhase[] = [{ name: 'the call until the workflow started', ms: first.atMs - calledAtMs }];
  let last = first.atMs;
  for (const event of events) {
    if (event.completes === undefined || event.atMs > runningAtMs) continue;
    const start = scheduledAt.get(event.completes) ?? last;
    phases.push({ name: 'the workflow between activities', ms: start - last });
    phases.push({ name: `activity ${types.get(event.completes) ?? '?'}`, ms: event.atMs - start });
    last = event.atMs;
  }
  phases.push({ name: 'until the caller saw Running (its poll)', ms: runningAtMs - last });
  return phases;
}

/** Pure: the median of each named phase over several starts (the workflow's gaps summed per start first), in first-seen order. */
export function medianPhases(starts: readonly StartPhase[][]): StartPhase[] {
  const names = [...new Set(starts.flatMap((phases) => phases.map((p) => p.name)))];
  return names.map((name) => ({
    name,
    ms: median(starts.map((phases) => phases.filter((p) => p.name === name).reduce((sum, p) => sum + p.ms, 0))) ?? 0,
  }));
}
