import { z } from 'zod';
import { FlinkHttp } from '../activities/flink/rest-client';
import type { RunMarks } from './phases';

/** Flink writes 0 (or -1) for a state not reached. */
const instants = z.record(z.string(), z.number()).transform((t) => Object.fromEntries(Object.entries(t).filter(([, v]) => v > 0)));
const jobSchema = z.object({ timestamps: instants, vertices: z.array(z.object({ id: z.string() })) });
const subtaskTimesSchema = z.object({ subtasks: z.array(z.object({ timestamps: instants })) });

/**
 * The job's own start, from the JobManager (it keeps a finished job's details for an hour): when it
 * was CREATED, when its first task began DEPLOYING to a TaskManager, when the last of its tasks was
 * RUNNING. Missing figures are left out: the breakdown shows what Flink said, nothing estimated.
 */
export async function jobStartMarks(restUrl: string, jobId: string): Promise<Pick<RunMarks, 'jobCreatedAt' | 'taskDeployingAt' | 'tasksRunningAt'>> {
  const http = new FlinkHttp(restUrl);
  const job = await http.request('GET', `/jobs/${jobId}`, jobSchema);
  const subtasks = (await Promise.all(job.vertices.map((v) => http.request('GET', `/jobs/${jobId}/vertices/${v.id}/subtasktimes`, subtaskTimesSchema))))
    .flatMap((times) => times.subtasks.map((s) => s.timestamps));
  const deploying = subtasks.map((t) => t.DEPLOYING).filter((t): t is number => t !== undefined);
  const running = subtasks.map((t) => t.RUNNING);
  return {
    jobCreatedAt: job.timestamps.CREATED,
    taskDeployingAt: deploying.length > 0 ? Math.min(...deploying) : undefined,
    tasksRunningAt: running.length > 0 && running.every((t) => t !== undefined) ? Math.max(...running as number[]) : undefined,
  };
}
