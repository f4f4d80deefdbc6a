/**
 * A pipeline's life as one explicit state machine (after Lyft's flinkk8soperator): the `status` query
 * returns the phase and the FleetJobState search attribute mirrors it.
 */
export const PHASES = [
  'Validating', 'EnsuringTenant', 'Deploying', 'Starting', 'Running', 'Restarting',
  'Savepointing', 'Stopping', 'CleaningUp', 'Finished', 'Stopped', 'Failed',
] as const;
export type Phase = (typeof PHASES)[number];

export const FINAL_PHASES: readonly Phase[] = ['Finished', 'Stopped', 'Failed'];

const NEXT: Readonly<Record<Phase, readonly Phase[]>> = {
  Validating: ['EnsuringTenant', 'Failed'],
  EnsuringTenant: ['Deploying', 'CleaningUp'],
  Deploying: ['Starting', 'CleaningUp'],
  Starting: ['Running', 'Restarting', 'CleaningUp'],
  Running: ['Restarting', 'Savepointing', 'Stopping', 'CleaningUp'],
  Restarting: ['Deploying', 'CleaningUp'],
  Savepointing: ['Stopping', 'CleaningUp'],
  Stopping: ['CleaningUp'],
  CleaningUp: ['Finished', 'Stopped', 'Failed'],
  Finished: [],
  Stopped: [],
  Failed: [],
};

export class IllegalTransition extends Error {
  constructor(from: Phase, to: Phase) {
    super(`a pipeline cannot go from ${from} to ${to}`);
    this.name = 'IllegalTransition';
  }
}

/** The only way a phase changes; an impossible step is a bug in the workflow, so it throws. */
export function transition(from: Phase, to: Phase): Phase {
  if (!NEXT[from].includes(to)) throw new IllegalTransition(from, to);
  return to;
}

export function isFinal(phase: Phase): boolean {
  return FINAL_PHASES.includes(phase);
}

/** Restarts inside the sliding window, counted from workflow time, decide whether one more is allowed. */
export function restartAllowed(restartTimes: readonly number[], now: number, budget: { maxRestarts: number; windowMinutes: number }): boolean {
  const windowStart = now - budget.windowMinutes * 60_000;
  return restartTimes.filter((t) => t > windowStart).length < budget.maxRestarts;
}
