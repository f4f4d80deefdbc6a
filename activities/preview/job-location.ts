import type { FlinkRestClient } from '../flink/rest-client';
import { FlinkErrorType, flinkErrorType } from '../flink/errors';

/**
 * The TaskManagers a job runs or ran on, asked two ways because each misses a case: the slots each
 * TaskManager holds (live from the ResourceManager, but gone once the job is cancelled) and the
 * job's vertex locations (kept after the job ends, but read from the JobManager's execution-graph
 * cache, which can be `web.refresh-interval` old, from before the tasks were scheduled).
 */
export async function taskManagersOfJob(rest: FlinkRestClient, jobId: string): Promise<string[]> {
  const [bySlots, byVertices] = await Promise.all([holdingSlotsOf(rest, jobId), rest.jobTaskManagers(jobId).catch(unlessGone)]);
  return [...new Set([...bySlots, ...byVertices])].sort();
}

async function holdingSlotsOf(rest: FlinkRestClient, jobId: string): Promise<string[]> {
  const busy = (await rest.taskManagers()).filter((t) => t.freeSlots < t.slotsNumber);
  const details = await Promise.all(busy.map((t) => rest.taskManager(t.id).catch(() => undefined)));
  return details.filter((d) => d?.jobIds.includes(jobId)).map((d) => d?.id as string);
}

/** A job the JobManager no longer knows ran nowhere we can still find. */
function unlessGone(error: unknown): string[] {
  const type = flinkErrorType(error);
  if (type === FlinkErrorType.JobNotFound || type === FlinkErrorType.NotFound) return [];
  throw error;
}
