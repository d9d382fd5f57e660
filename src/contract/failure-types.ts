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

/** Details carried by a Plum failure, for the workflow to read without parsing messages. */
export interface PlumFailureDetails {
  outcome: 'rejected' | 'rate_limited' | 'not_sent' | 'server_error' | 'unknown';
  reason?: string;
  retryAfterMs?: number;
  /** The previous attempt of this activity ended with an unknown outcome (a worker died mid-call). */
  afterUnknownOutcome?: boolean;
}
