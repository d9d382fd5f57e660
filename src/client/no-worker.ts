import type { WorkflowHandle } from '@temporalio/client';
import { WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { NoWorkerError } from './errors';
import { isWorkflowNotReady } from './not-ready';
import { GRPC, grpcErrorOf, translateFailure } from './translate';

/** How long the check that Temporal itself answers may take. */
const DESCRIBE_DEADLINE_MS = 5000;

/**
 * A query or update that ran out of time (Temporal down, or no worker of the keeper's build taking its tasks), or that
 * the server refused because no worker polls the task queue ("no poller seen for task queue recently").
 */
function unanswered(error: unknown): boolean {
  if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return true;
  const code = grpcErrorOf(error)?.code;
  return code === GRPC.DEADLINE_EXCEEDED || (code === GRPC.FAILED_PRECONDITION && !isWorkflowNotReady(error));
}

/**
 * The library's error for a failed call. A call no one answered is told apart by asking Temporal about the keeper:
 * when Temporal answers and the keeper runs, it was no worker (of the keeper's build, when it is pinned), not Temporal.
 */
export async function failureOf(error: unknown, companyId: string, handle: WorkflowHandle): Promise<Error> {
  const translated = translateFailure(error, companyId);
  if (!unanswered(error)) return translated;
  try {
    const description = await handle.client.connection.withDeadline(Date.now() + DESCRIBE_DEADLINE_MS, () =>
      handle.describe(),
    );
    if (description.status.name !== 'RUNNING') return translated;
    const pinned = description.raw.workflowExecutionInfo?.versioningInfo?.deploymentVersion?.buildId;
    return new NoWorkerError(companyId, pinned || undefined, error);
  } catch {
    return translated;
  }
}
