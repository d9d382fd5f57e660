import { Context } from '@temporalio/activity';
import { temporal } from '@temporalio/proto';
import type { HeldSetSnapshot } from '../contract';
import { heldStateQuery } from '../contract';

const RESET_CAUSE = temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW;

/**
 * Finds the run a Reset replaced (named by the reset's failed workflow task in this run's history) and asks it, through
 * the internal `keeperHeldState` query, for the newest set it held. Null when this run was not made by a reset.
 */
export async function newestHeldSet(input: { workflowId: string; runId: string }): Promise<HeldSetSnapshot | null> {
  const { client } = Context.current();
  const history = await client.workflow.getHandle(input.workflowId, input.runId).fetchHistory();
  const reset = (history.events ?? [])
    .map((event) => event.workflowTaskFailedEventAttributes)
    .find((failed) => failed?.cause === RESET_CAUSE && failed.baseRunId);
  if (!reset?.baseRunId) return null;
  return client.workflow.getHandle(input.workflowId, reset.baseRunId).query(heldStateQuery);
}
