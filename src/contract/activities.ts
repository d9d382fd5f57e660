import type { StatusAlert } from './alerts';
import type { StatusReason, TokenStatus } from './status';
import type { WorkerSettings } from './worker-settings';

/** A company or user token set as the keeper holds it: camelCase, expiries in epoch milliseconds. */
export interface TokenSet {
  accessToken: string;
  refreshToken: string;
  tokenType: string;
  accessTokenExpiresAt: number;
  /** Unknown when the upstream did not say; the schedule then relies on the access token alone. */
  refreshTokenExpiresAt?: number;
}

/**
 * The token set the keeper holds: a {@link TokenSet} whose access token (and its expiry) may be unknown, as after an
 * enrolment with the refresh token alone, stamped with when it came in (its lifetime is counted from there).
 */
export type HeldTokenSet = Omit<TokenSet, 'accessToken' | 'accessTokenExpiresAt'> &
  Partial<Pick<TokenSet, 'accessToken' | 'accessTokenExpiresAt'>> & { obtainedAt: number };

/** What the validate endpoint tells about an access token. */
export interface TokenValidity {
  accessTokenExpiresAt: number;
  refreshTokenExpiresAt?: number;
}

export interface RefreshInput {
  companyId: string;
  refreshToken: string;
}

export interface UserTokenInput {
  companyId: string;
  companyAccessToken: string;
  email: string;
  scope: string;
}

export interface ValidateInput {
  companyId: string;
  accessToken: string;
}

/** What a run holds, as the run after a Reset reads it from the run it replaced. Internal: holds secrets. */
export interface HeldSetSnapshot {
  status: TokenStatus;
  reason?: StatusReason;
  generation: number;
  upstreamRefreshes: number;
  tokens: HeldTokenSet;
  spentRefreshTokens?: string[];
}

/**
 * The activities the workflow schedules, as the workflow sees them. Workers implement them
 * (`src/activities/`); the workflow imports only this interface.
 */
export interface PlumActivities {
  /** Spends the refresh token; an attempt retried after a crash returns the heartbeated set instead. */
  refreshCompanyToken(input: RefreshInput): Promise<TokenSet>;
  /** Exchanges the company token for a user-scoped token set. */
  createUserToken(input: UserTokenInput): Promise<TokenSet>;
  /** Learns the expiries of an access token enrolled without them. */
  validateAccessToken(input: ValidateInput): Promise<TokenValidity>;
  /**
   * After a Reset: the newest set the replaced run held (read from it through the internal `keeperHeldState` query),
   * or null when this run was not made by a reset.
   */
  newestHeldSet(input: { workflowId: string; runId: string }): Promise<HeldSetSnapshot | null>;
  /** Posts a signed status alert to `PLUM_ALERT_WEBHOOK_URL`; throws (and is retried) until the receiver accepts it. */
  sendStatusAlert(alert: StatusAlert): Promise<void>;
  /** The worker's settings, read once per run as a local activity. */
  workerSettings(): Promise<WorkerSettings>;
}
