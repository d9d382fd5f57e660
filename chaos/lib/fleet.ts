import { retryWhileNotReady } from '../../src/client/not-ready';
import { accessTokenQuery, statusQuery, workflowIdFor } from '../../src/contract';
import type { StatusResult } from '../../src/contract';
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import type { ChaosLab } from './lab';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls until `condition` holds; resolves false (never throws) at the deadline, so a stuck company is a figure. */
export async function eventually(condition: () => Promise<boolean> | boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await Promise.resolve(condition()).catch(() => false)) return true;
    await sleep(100);
  }
  return false;
}

/**
 * The keeper's status straight from the workflow (a raw query: no client cache in the way), sent again when Temporal
 * answers that the workflow is not ready, as every client does (wire protocol rule 7).
 */
export function statusOf(lab: ChaosLab, companyId: string): Promise<StatusResult> {
  return retryWhileNotReady(() => lab.client.workflow.getHandle(workflowIdFor(companyId)).query(statusQuery));
}

/** The access token the keeper serves now, or undefined when it serves none. */
export async function servedToken(lab: ChaosLab, companyId: string): Promise<string | undefined> {
  const answer = await retryWhileNotReady(() =>
    lab.client.workflow.getHandle(workflowIdFor(companyId)).query(accessTokenQuery),
  );
  return answer.ok ? answer.accessToken : undefined;
}

/** Company ids for one experiment, unique within the run. */
export function companyIds(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${i + 1}`);
}

/** Every event of every run of `workflowId`, in order, through `client` (the lab's, or another server's). */
export async function historyEvents(
  client: Client,
  workflowId: string,
): Promise<temporal.api.history.v1.IHistoryEvent[]> {
  const events: temporal.api.history.v1.IHistoryEvent[] = [];
  for await (const execution of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    const history = await client.workflow.getHandle(workflowId, execution.runId).fetchHistory();
    events.push(...(history.events ?? []));
  }
  return events;
}

/**
 * A workflow task the server declined because new events (a signal, an update) arrived while the worker completed it:
 * Temporal's own race, retried at once with the new events, not a failure of the keeper's code. Counted apart.
 */
const UNHANDLED_COMMAND = 1;

/** A `WorkflowTaskFailed` event, said in one line; `benign` when it is the server's UnhandledCommand race. */
export interface TaskFailure {
  benign: boolean;
  text: string;
}

export function taskFailureOf(
  workflowId: string,
  failed: temporal.api.history.v1.IWorkflowTaskFailedEventAttributes,
): TaskFailure {
  const benign = Number(failed.cause) === UNHANDLED_COMMAND;
  const cause = benign ? 'UnhandledCommand' : String(failed.cause);
  return { benign, text: `${workflowId}: ${cause} ${failed.failure?.message ?? ''}`.trim().slice(0, 300) };
}

/** Every failed workflow task of a workflow (every run), as the server recorded it. */
export async function workflowTaskFailureCauses(lab: ChaosLab, workflowId: string): Promise<TaskFailure[]> {
  return (await historyEvents(lab.client, workflowId)).flatMap((e) =>
    e.workflowTaskFailedEventAttributes ? [taskFailureOf(workflowId, e.workflowTaskFailedEventAttributes)] : [],
  );
}
