import type { JobResourceRequirements, JobVertex } from '../flink/rest-types';

/**
 * What a rescale asks of Flink's adaptive scheduler, and how the activity knows it is done. Pure.
 *
 * Each vertex may run anywhere from 1 up to the target: the scheduler then rescales as soon as the
 * slots are there, and a job that loses a TaskManager keeps running on fewer slots instead of
 * waiting for all of them. A vertex Flink pinned to less (a global aggregate has maxParallelism 1)
 * is asked for no more than it can take; Flink refuses the whole declaration otherwise.
 */
export function requirementsAt(vertices: readonly JobVertex[], parallelism: number): JobResourceRequirements {
  return Object.fromEntries(vertices.map((vertex) => [vertex.id, { lowerBound: 1, upperBound: Math.min(parallelism, vertex.maxParallelism) }]));
}

/** Every vertex runs (or has finished) at the parallelism the rescale asked of it. */
export function runsAt(vertices: readonly JobVertex[], parallelism: number): boolean {
  return vertices.every((vertex) => vertex.parallelism === Math.min(parallelism, vertex.maxParallelism)
    && (vertex.status === 'RUNNING' || vertex.status === 'FINISHED'));
}

/** The parallelism the job runs at now: its widest vertex's. */
export function currentParallelism(vertices: readonly JobVertex[]): number {
  return Math.max(1, ...vertices.map((vertex) => vertex.parallelism));
}
