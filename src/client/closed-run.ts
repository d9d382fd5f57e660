import type { WorkflowHandle } from '@temporalio/client';
import { WorkflowFailedError } from '@temporalio/client';
import { NotEnrolledError, KeeperRunEndedError } from './errors';

/**
 * Why a keeper's run cannot answer: when it has ended, an error naming how and (for a failed run) the failure decoded
 * through the data converter, not the server's `Encoded failure` placeholder. Undefined while it runs.
 */
export async function endedRunError(handle: WorkflowHandle, companyId: string): Promise<Error | undefined> {
  const description = await handle.describe();
  const status = description.status.name;
  if (status === 'RUNNING') return undefined;
  if (status === 'COMPLETED') return new NotEnrolledError(companyId);
  let cause = '';
  try {
    await handle.result();
  } catch (error) {
    const failure = error instanceof WorkflowFailedError ? error.cause : error;
    cause = failure instanceof Error ? failure.message : String(failure);
  }
  return new KeeperRunEndedError(companyId, status, cause);
}
