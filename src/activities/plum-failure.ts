import { ApplicationFailure } from '@temporalio/common';
import type { AnyPlumError } from '../plum/errors';
import { PlumError, PlumRateLimitedError, PlumRejectedError } from '../plum/errors';
import type { PlumFailureDetails } from '../contract';

/** Converts a classified Plum error into a non-retryable ApplicationFailure; other errors pass through. */
export function toFailure(error: unknown, afterUnknownOutcome = false): unknown {
  if (!(error instanceof PlumError)) return error;
  const plum = error as AnyPlumError;
  const details: PlumFailureDetails = { outcome: plum.outcome, afterUnknownOutcome };
  if (plum instanceof PlumRejectedError) details.reason = plum.reason;
  if (plum instanceof PlumRateLimitedError) details.retryAfterMs = plum.retryAfterMs;
  return ApplicationFailure.create({ message: plum.message, type: plum.name, nonRetryable: true, details: [details] });
}
