import assert from 'node:assert/strict';
import type { WorkflowHandle } from '@temporalio/client';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { statusQuery } from '../../src/contract';
import type { StatusResult } from '../../src/contract';

const RESET_CAUSE = temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW;

/**
 * The number of `WorkflowTaskFailed` events in the workflow's history (a wedged workflow keeps adding them), leaving
 * out the one a Reset writes on purpose.
 */
export async function workflowTaskFailures(handle: WorkflowHandle): Promise<number> {
  const events = (await handle.fetchHistory()).events ?? [];
  return events.filter(
    (e) => e.workflowTaskFailedEventAttributes && e.workflowTaskFailedEventAttributes.cause !== RESET_CAUSE,
  ).length;
}

/** Asserts the workflow answers the status query and has never failed a workflow task. */
export async function assertAnswers(handle: WorkflowHandle): Promise<StatusResult> {
  const status = await handle.query(statusQuery);
  assert.equal(await workflowTaskFailures(handle), 0, 'a workflow task failed');
  return status;
}

/** Asserts the workflow closed with an `ApplicationFailure` of `type`, without a workflow-task failure loop. */
export async function assertClosedWith(handle: WorkflowHandle, type: string, message?: RegExp): Promise<void> {
  await assert.rejects(handle.result(), (error: unknown) => {
    assert.ok(error instanceof WorkflowFailedError, String(error));
    assert.ok(error.cause instanceof ApplicationFailure, String(error.cause));
    assert.equal(error.cause.type, type);
    if (message) assert.match(error.cause.message, message);
    return true;
  });
  assert.equal(await workflowTaskFailures(handle), 0, 'a workflow task failed');
}
