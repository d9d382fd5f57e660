import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { RELEASE_LINE_MARKER } from '../contract';

const { EventType } = temporal.api.enums.v1;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** The patch ids a `core_patch` marker event records (the SDK writes them as plain JSON, never through the codec). */
function patchIdOf(event: HistoryEvent): string | undefined {
  const marker = event.markerRecordedEventAttributes;
  if (marker?.markerName !== 'core_patch') return undefined;
  const data = marker.details?.['patch-data']?.payloads?.[0]?.data;
  if (!data) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(data).toString('utf8')) as { id?: unknown };
    return typeof parsed.id === 'string' ? parsed.id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether the first completed workflow task of a run recorded no release-line marker: the run was written by a
 * release before 3.0, and a 3.x worker refuses it. Undecided (false) while no task has completed: this release will
 * write the first one. Reads the history's first page only (the marker is among the first events).
 */
export function firstTaskLacksReleaseMarker(events: readonly HistoryEvent[]): boolean {
  const completed = events.findIndex((event) => event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
  if (completed < 0) return false;
  for (const event of events.slice(completed + 1)) {
    if (patchIdOf(event) === RELEASE_LINE_MARKER) return false;
    if (event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED) break;
  }
  return true;
}

/** Whether the running keeper `workflowId` was written by a release before 3.0 (false when none runs). */
export async function runsEarlierRelease(client: Client, workflowId: string): Promise<boolean> {
  const description = await client.workflow
    .getHandle(workflowId)
    .describe()
    .catch((error: unknown) => {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    });
  if (description?.status.name !== 'RUNNING') return false;
  const page = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution: { workflowId, runId: description.runId },
    maximumPageSize: 100,
  });
  return firstTaskLacksReleaseMarker(page.history?.events ?? []);
}
