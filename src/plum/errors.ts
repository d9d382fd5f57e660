import type { PlumFailureOutcome, RejectionReason } from '../contract';

export type { RejectionReason };

/** The endpoint a call went to, named for messages and counters. */
export type PlumOperation = 'refresh' | 'createUserToken' | 'validate';

/** Every failure of a Plum call; `outcome` says how a caller should react. Messages never quote bodies or tokens. */
export abstract class PlumError extends Error {
  abstract readonly outcome: PlumFailureOutcome;
  constructor(
    readonly operation: PlumOperation,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`Plum ${operation}: ${message}`, options);
  }
}

/** Plum refused the call for a reason that a retry cannot fix. */
export class PlumRejectedError extends PlumError {
  override readonly name = 'PlumRejectedError';
  readonly outcome = 'rejected';
  constructor(
    operation: PlumOperation,
    readonly reason: RejectionReason,
    readonly status: number,
    detail: string,
  ) {
    super(operation, `rejected with ${reason} (HTTP ${status}, ${detail})`);
  }
}

/** Plum asked us to slow down; `retryAfterMs` is how long it wants us to wait. */
export class PlumRateLimitedError extends PlumError {
  override readonly name = 'PlumRateLimitedError';
  readonly outcome = 'rate_limited';
  constructor(
    operation: PlumOperation,
    readonly retryAfterMs: number,
    readonly status: number,
  ) {
    super(operation, `rate limited (HTTP ${status}); retry in ${Math.round(retryAfterMs / 1000)} s`);
  }
}

/** The request certainly never reached Plum (DNS failure, connection refused): safe to retry as is. */
export class PlumNotSentError extends PlumError {
  override readonly name = 'PlumNotSentError';
  readonly outcome = 'not_sent';
  constructor(
    operation: PlumOperation,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(operation, `request not sent (${code})`, options);
  }
}

/** Plum answered with a server error: the call did not take effect, retry later. */
export class PlumServerError extends PlumError {
  override readonly name = 'PlumServerError';
  readonly outcome = 'server_error';
  constructor(
    operation: PlumOperation,
    readonly status: number,
  ) {
    super(operation, `server error (HTTP ${status})`);
  }
}

/**
 * A reply that is not Plum's: a non-JSON body (a proxy's or load balancer's error page). Whatever its status, it is
 * not a definitive answer about the tokens, so it is retried like a server error.
 */
export class PlumUnrecognisedReplyError extends PlumError {
  override readonly name = 'PlumUnrecognisedReplyError';
  readonly outcome = 'server_error';
  constructor(
    operation: PlumOperation,
    readonly status: number,
  ) {
    super(operation, `a reply that is not Plum's (HTTP ${status}, not JSON): retrying`);
  }
}

/**
 * The request was sent but no usable reply came back (timeout, reset, malformed 200). For a refresh, the
 * upstream may have rotated the token set: this is "unknown", not "failed".
 */
export class PlumOutcomeUnknownError extends PlumError {
  override readonly name = 'PlumOutcomeUnknownError';
  readonly outcome = 'unknown';
  constructor(
    operation: PlumOperation,
    readonly unknownKind: 'TIMEOUT' | 'RESET' | 'ABORTED' | 'MALFORMED_REPLY',
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(operation, `outcome unknown (${unknownKind}: ${detail})`, options);
  }
}

export type AnyPlumError =
  | PlumRejectedError
  | PlumRateLimitedError
  | PlumNotSentError
  | PlumServerError
  | PlumUnrecognisedReplyError
  | PlumOutcomeUnknownError;
