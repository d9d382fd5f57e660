/**
 * Patch ids of workflow behaviour added after histories were recorded. Each guards a change of commands; a history
 * recorded before it replays the old way. Never rename one.
 */
export const PATCHES = {
  /** A repeated enrolment with the set already held changes nothing. */
  reseedWithHeldSetIsNoOp: 'reseed-with-held-set-is-a-no-op',
  /** A refresh whose attempts all timed out after heartbeating Plum's reply installs that reply. */
  savedReplyOfTimedOutRefresh: 'saved-reply-of-timed-out-refresh',
  /** `refreshNow` and `forceRefresh` wait for Plum's rate-limit penalty instead of calling into it. */
  forcedRefreshWaitsForPenalty: 'forced-refresh-waits-for-penalty',
  /** Rotations are spaced by the worker's `minRotationIntervalMs`. */
  minRotationInterval: 'min-rotation-interval',
  /** Tokens that reached the workflow unencrypted are rotated at once, so the leaked refresh token dies. */
  rotateAfterUnencryptedTokens: 'rotate-after-unencrypted-tokens',
  /**
   * A run started with tokens in clear decides to rotate them in its first activation, before the first local
   * activity (histories recorded under the patch above decided after it, which a query during that activity can split
   * across two tasks so that they no longer replay).
   */
  rotateUnencryptedStart: 'rotate-unencrypted-start',
  /** A run made by a Reset takes the newest set from the run it replaced before it spends anything. */
  recoverAfterReset: 'recover-after-reset',
  /** Status transitions into and out of DEGRADED, EXPIRED and NEEDS_REAUTH are posted to the alert webhook. */
  statusAlerts: 'status-alerts',
} as const;
