/** ApplicationFailure types shared by activities (which throw them) and the workflow (which reacts to them). */
export const FAILURE_TYPES = {
  rejected: 'PlumRejectedError',
  rateLimited: 'PlumRateLimitedError',
  notSent: 'PlumNotSentError',
  serverError: 'PlumServerError',
  unknown: 'PlumOutcomeUnknownError',
  noCredentials: 'NoCredentialsError',
  invalidInput: 'InvalidInputError',
  refreshFailed: 'RefreshFailedError',
  userTokenFailed: 'UserTokenFailedError',
  noValidToken: 'NoValidTokenError',
  needsReauth: 'NeedsReauthError',
  retired: 'RetiredError',
  staleTokens: 'StaleTokensError',
  reseedRefused: 'ReseedRefusedError',
} as const;

/** Failures thrown by query handlers; they never enter history and stay readable (see codec/failure-converter). */
export const QUERY_FAILURE_TYPE = 'QueryFailedError';

/**
 * How a call to Plum ended. One vocabulary for every layer: the Plum client's errors (`PlumError.outcome`), the
 * activity failure's details, the workflow's refresh outcome (`RefreshOutcome.kind`) and the metrics' `outcome` label.
 * `error`: anything else (a bug, a cancelled call).
 */
export const PLUM_CALL_OUTCOMES = [
  'ok',
  'rejected',
  'rate_limited',
  'server_error',
  'not_sent',
  'unknown',
  'error',
] as const;
export type PlumCallOutcome = (typeof PLUM_CALL_OUTCOMES)[number];
/** The outcomes a classified Plum failure carries. */
export type PlumFailureOutcome = Exclude<PlumCallOutcome, 'ok' | 'error'>;

/** Details carried by a Plum failure, for the workflow to read without parsing messages. */
export interface PlumFailureDetails {
  outcome: PlumFailureOutcome;
  reason?: string;
  retryAfterMs?: number;
  /** The previous attempt of this activity ended with an unknown outcome (a worker died mid-call). */
  afterUnknownOutcome?: boolean;
}
