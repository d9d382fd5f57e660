import type { PlumTokens, RefreshPolicy, SchedulePolicy, StatusReason, TokenStatus } from '../contract';
import { plumTokensSchema } from '../contract';

/** The company's token set as the workflow holds it. */
export interface HeldTokens {
  accessToken?: string;
  refreshToken: string;
  tokenType: string;
  accessTokenExpiresAt?: number;
  refreshTokenExpiresAt?: number;
  /** When this set came in; its lifetime is counted from here. */
  obtainedAt: number;
}

export interface CachedUserToken {
  email: string;
  scope: string;
  accessToken: string;
  tokenType: string;
  expiresAt: number;
  obtainedAt: number;
}

/** Everything a run carries into the next one across continue-as-new. */
export interface CompanyState {
  companyId: string;
  policyOverrides: RefreshPolicy;
  tokens: HeldTokens;
  status: TokenStatus;
  reason?: StatusReason;
  lastError?: string;
  generation: number;
  upstreamRefreshes: number;
  lastRefreshAt?: number;
  consecutiveFailures: number;
  /** The last attempt's outcome is unknown: a rejection of the next one means the reply was lost in flight. */
  outcomeUnknown: boolean;
  /** When the next retry of a failed refresh is due. */
  retryAt?: number;
  /** Refreshes asked for (`refreshNow`, `forceRefresh`, learning) and not yet started. */
  refreshRequested: boolean;
  /** Jitter draw for the current set, fixed when the set arrives so the due time is stable. */
  jitter: number;
  /** Cached user tokens, least recently used first. */
  userTokens: [string, CachedUserToken][];
}

/** Converts Plum's snake_case set into the held shape; the input has already been validated. */
export function heldFromPlum(tokens: PlumTokens, now: number): HeldTokens {
  const parsed = plumTokensSchema.parse(tokens);
  const accessTokenExpiresAt =
    parsed.access_token_expiry ??
    (parsed.access_token !== undefined && parsed.expires_in !== undefined ? now + parsed.expires_in * 1000 : undefined);
  return {
    refreshToken: parsed.refresh_token,
    tokenType: parsed.token_type ?? 'bearer',
    obtainedAt: now,
    ...(parsed.access_token !== undefined && { accessToken: parsed.access_token }),
    ...(accessTokenExpiresAt !== undefined && { accessTokenExpiresAt }),
    ...(parsed.refresh_token_expiry !== undefined && { refreshTokenExpiresAt: parsed.refresh_token_expiry }),
  };
}

export function mergedPolicy(defaults: SchedulePolicy, overrides: RefreshPolicy): SchedulePolicy {
  return {
    leadFraction: overrides.leadFraction ?? defaults.leadFraction,
    minLeadMs: overrides.minLeadMs ?? defaults.minLeadMs,
    jitterFraction: overrides.jitterFraction ?? defaults.jitterFraction,
  };
}

export const userTokenKey = (email: string, scope: string): string => `${email.toLowerCase()}|${scope}`;

/** The state of a company's first run, before anything happened; without tokens it waits for them. */
export function initialState(
  input: { companyId: string; tokens?: PlumTokens | undefined; policy?: RefreshPolicy | undefined },
  now: number,
  random: () => number,
): CompanyState {
  const awaiting = input.tokens === undefined;
  return {
    companyId: input.companyId,
    policyOverrides: input.policy ?? {},
    // Until the enrolling reseed arrives there is nothing to spend: NEEDS_REAUTH stops every refresh path.
    tokens: input.tokens ? heldFromPlum(input.tokens, now) : { refreshToken: '', tokenType: 'bearer', obtainedAt: now },
    status: awaiting ? 'NEEDS_REAUTH' : 'ACTIVE',
    ...(awaiting && { reason: 'NO_TOKENS' as const }),
    generation: 0,
    upstreamRefreshes: 0,
    consecutiveFailures: 0,
    outcomeUnknown: false,
    refreshRequested: false,
    jitter: random(),
    userTokens: [],
  };
}
