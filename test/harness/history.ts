import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { FleetJobState } from '../../workflows/search-attributes';

type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];

/**
 * Every phase a workflow run went through, in order, as the workflow itself recorded it: the
 * FleetJobState value of each of its search-attribute upserts. Unlike polling the `status` query,
 * this misses no phase however short, and it is the run's own history, not a sample of it.
 */
export async function phasesOf(handle: WorkflowHandle): Promise<string[]> {
  const { events } = await handle.fetchHistory();
  return (events ?? []).flatMap((event) => {
    const payload = event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.[FleetJobState.name];
    return payload ? [defaultPayloadConverter.fromPayload<string>(payload)] : [];
  });
}

export interface CompletedActivity {
  readonly activity: string;
  /** 1 unless an earlier attempt failed or timed out (a dead worker's attempt times out). */
  readonly attempt: number;
  /** The identity of the worker that completed it (the SDK's default is `<pid>@<host>`). */
  readonly completedBy: string;
}

/** The activities a run completed, in order, with the attempt that completed each and by whom. */
export async function completedActivitiesOf(handle: WorkflowHandle): Promise<CompletedActivity[]> {
  const { events } = await handle.fetchHistory();
  const byId = new Map<string, HistoryEvent>((events ?? []).map((event) => [String(event.eventId), event]));
  return (events ?? []).flatMap((event) => {
    const completed = event.activityTaskCompletedEventAttributes;
    if (!completed) return [];
    const scheduled = byId.get(String(completed.scheduledEventId))?.activityTaskScheduledEventAttributes;
    const started = byId.get(String(completed.startedEventId))?.activityTaskStartedEventAttributes;
    return [{ activity: scheduled?.activityType?.name ?? '?', attempt: started?.attempt ?? 0, completedBy: completed.identity ?? '' }];
  });
}

/** The workflow task timeout a run was started with (continue-as-new keeps it), in seconds, as Temporal holds it. */
export async function workflowTaskTimeoutSeconds(handle: WorkflowHandle): Promise<number> {
  const { raw } = await handle.describe();
  return Number(raw.executionConfig?.defaultWorkflowTaskTimeout?.seconds);
}
