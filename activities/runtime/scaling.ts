import type { ApplicationClusterSpec } from './types';

/** The TaskManagers an application cluster runs: enough slots for its parallelism. Pure. */
export function taskManagerCount(spec: Pick<ApplicationClusterSpec, 'parallelism' | 'slotsPerTaskManager'>): number {
  return Math.ceil(spec.parallelism / spec.slotsPerTaskManager);
}

/**
 * Which TaskManagers go when an application cluster shrinks: those the job has no task on first, so
 * that removing them costs the job nothing; the newest first among equals. A busy one goes only
 * when the count leaves no other choice (the job then restarts from its checkpoint). Pure.
 *
 * @param taskManagers Flink resource ids, oldest first.
 * @param busy the resource ids the job's subtasks run on.
 */
export function surplusTaskManagers(taskManagers: readonly string[], busy: readonly string[], count: number): string[] {
  const surplus = Math.max(0, taskManagers.length - count);
  const newestFirst = [...taskManagers].reverse();
  const idle = newestFirst.filter((id) => !busy.includes(id));
  const occupied = newestFirst.filter((id) => busy.includes(id));
  return [...idle, ...occupied].slice(0, surplus);
}
