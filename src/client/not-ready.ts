import { setTimeout as sleep } from 'node:timers/promises';
import { google } from '@temporalio/proto';
import { GRPC, grpcErrorOf } from './translate';

const NOT_READY_FAILURE = 'temporal.api.errordetails.v1.WorkflowNotReadyFailure';

/** Pauses before each retry of a call the workflow could not take yet: four attempts within about 1.5 s. */
export const NOT_READY_RETRY_DELAYS_MS: readonly number[] = [100, 300, 900];

/**
 * Whether Temporal refused a call with `WorkflowNotReady`: the workflow could not take it yet (its first task has not
 * run, or the task that carried an update failed to complete, as a continue-as-new does when a message arrives during
 * it). Such a call had no effect, so sending it again is safe.
 */
export function isWorkflowNotReady(error: unknown): boolean {
  const grpc = grpcErrorOf(error);
  if (grpc?.code !== GRPC.FAILED_PRECONDITION) return false;
  const raw = grpc.metadata?.get('grpc-status-details-bin')[0];
  if (raw === undefined || typeof raw === 'string') return false;
  return google.rpc.Status.decode(raw).details.some((detail) => detail.type_url?.endsWith(NOT_READY_FAILURE));
}

/**
 * Whether a query was answered by the run that had just continued as new: the server held the query while the run's
 * last task was in flight, then had a worker replay that run's closed history, which fails
 * (`[TMPRL1100] … WorkflowExecutionContinuedAsNew`). A keeper continues as new at every move to a new build, so reads
 * meet this during deploys. The query had no effect; sent again, it reaches the new run.
 */
export function isQueryOnClosedRun(error: unknown): boolean {
  const grpc = grpcErrorOf(error);
  const message = grpc?.details ?? (error as { message?: string } | undefined)?.message ?? '';
  const code = grpc?.code ?? (error as { code?: number } | undefined)?.code;
  return code === GRPC.INVALID_ARGUMENT && /\[TMPRL1100\]/.test(message) && /ContinuedAsNew/.test(message);
}

/** Whether a call had no effect and goes again unchanged (client rule 7; docs/vectors/retries.json). */
export function sendAgain(error: unknown): boolean {
  return isWorkflowNotReady(error) || isQueryOnClosedRun(error);
}

/** Runs `send`, and again after a pause each time Temporal answers `WorkflowNotReady`; any other outcome stands. */
export async function retryWhileNotReady<T>(
  send: () => Promise<T>,
  delaysMs: readonly number[] = NOT_READY_RETRY_DELAYS_MS,
): Promise<T> {
  for (const delay of delaysMs) {
    try {
      return await send();
    } catch (error) {
      if (!sendAgain(error)) throw error;
    }
    await sleep(delay);
  }
  return send();
}
