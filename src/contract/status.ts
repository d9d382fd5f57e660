/** The states of the keeper's state machine (docs/design.md). */
export const TOKEN_STATUSES = ['ACTIVE', 'REFRESHING', 'DEGRADED', 'EXPIRED', 'NEEDS_REAUTH', 'RETIRED'] as const;
export type TokenStatus = (typeof TOKEN_STATUSES)[number];

/** Why Plum definitively refused a call; retrying with the same input cannot succeed. */
export const REJECTION_REASONS = [
  'INVALID_GRANT',
  'TOKEN_KILLED',
  'COMPANY_DISABLED',
  'USER_DISABLED',
  'IP_NOT_WHITELISTED',
  'INVALID_CLIENT',
  /** A user-token exchange named an e-mail Plum does not know (HTTP 404 with a JSON body). */
  'USER_NOT_FOUND',
  'BAD_REQUEST',
] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

/**
 * Why a company needs a person, or waits: a rejection, `LOST_IN_FLIGHT`, `NO_CREDENTIALS`,
 * `REFRESH_TOKEN_EXPIRED`, or `NO_TOKENS` (started without tokens, waiting for the `reseed` that brings them).
 */
export const STATUS_REASONS = [
  ...REJECTION_REASONS,
  'LOST_IN_FLIGHT',
  'NO_CREDENTIALS',
  'REFRESH_TOKEN_EXPIRED',
  'NO_TOKENS',
  /** This run was made by a Reset and could not read the newest set from the run it replaced: reseed. */
  'RESET_UNRECOVERED',
] as const;
export type StatusReason = (typeof STATUS_REASONS)[number];

/** What the `status` query tells; never a secret. */
export interface StatusResult {
  companyId: string;
  status: TokenStatus;
  reason?: StatusReason;
  accessTokenExpiresAt?: number;
  refreshTokenExpiresAt?: number;
  nextRefreshAt?: number;
  lastRefreshAt?: number;
  consecutiveFailures: number;
  lastError?: string;
  generation: number;
  upstreamRefreshes: number;
  cachedUserTokens: number;
  /** When tokens last reached the workflow unencrypted (leaked into history); the keeper rotated them at once. */
  tokensArrivedUnencryptedAt?: number;
  /** When tokens last reached history encrypted but unsealed (readable in the UI); the keeper rotated them at once. */
  tokensArrivedUnsealedAt?: number;
  /** A reseed replaced a working set and no refresh has proven the new one yet; the previous set is kept until then. */
  reseedUnproven?: true;
  /** The last rotation asked for by `forceRefresh` or `refreshNow`, with the reason the caller gave. */
  lastRotationRequest?: { reason: string; at: number };
  /** Set while the rotation spacing (`PLUM_MIN_ROTATION_INTERVAL_MS`) holds the refresh past the token's expiry. */
  rotationHeld?: string;
  /** Until when Plum's rate-limit penalty (HTTP 429) holds every refresh, forced ones included. */
  penaltyUntil?: number;
  /** The build id of the Worker Deployment Version this run is on (absent on unversioned workers and before 1.0.0). */
  build?: string;
}

/** The company's access token, as the `accessToken` query hands it out. */
export interface AccessToken {
  accessToken: string;
  expiresAt: number;
  status: TokenStatus;
  /** When the workflow will replace this token; a cache may keep it until shortly before. */
  nextRefreshAt?: number;
}

/** Why the `accessToken` query has no token to give. */
export type NoTokenReason = 'NO_TOKEN_YET' | 'EXPIRED' | 'NEEDS_REAUTH' | 'RETIRED';

/**
 * The answer of the `accessToken` query: a token (`ok: true`), or why there is none as data, so any Temporal client
 * (another SDK, the CLI, the UI) reads the reason without parsing a failure message.
 */
export type AccessTokenResult =
  | ({ ok: true } & AccessToken)
  | {
      ok: false;
      why: NoTokenReason;
      status: TokenStatus;
      reason?: StatusReason;
      /** When the token that is no longer served expired, if the keeper knows. */
      expiredAt?: number;
      message: string;
    };

/** A user-scoped token set as the keeper hands it out. */
export interface UserTokenResult {
  email: string;
  scope: string;
  accessToken: string;
  expiresAt: number;
}
