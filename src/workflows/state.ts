import { z } from 'zod';
import type { HeldTokenSet, PlumTokens, RefreshPolicy, SchedulePolicy } from '../contract';
import { fingerprint } from './fingerprint';
import {
  MAX_EPOCH_MS,
  STATUS_REASONS,
  TOKEN_STATUSES,
  companyIdSchema,
  plumTokensSchema,
  refreshPolicySchema,
  tokenString,
} from '../contract';

const epoch = z.number().int().min(0).max(MAX_EPOCH_MS);
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** The company's token set as the workflow holds it ({@link HeldTokenSet}). */
const heldTokensSchema = z.object({
  accessToken: tokenString.optional(),
  refreshToken: z.string().max(8192),
  tokenType: z.string().max(64),
  accessTokenExpiresAt: epoch.optional(),
  refreshTokenExpiresAt: epoch.optional(),
  /** When this set came in; its lifetime is counted from here. */
  obtainedAt: epoch,
});
// The schema and the contract's type describe one shape: each must be assignable to the other.
const _schemaIsHeldTokenSet: HeldTokenSet = {} as z.infer<typeof heldTokensSchema>;
const _heldTokenSetFitsSchema: z.infer<typeof heldTokensSchema> = {} as HeldTokenSet;

const cachedUserTokenSchema = z.object({
  email: z.string().max(320),
  scope: z.string().max(64),
  accessToken: tokenString,
  tokenType: z.string().max(64),
  expiresAt: epoch,
  obtainedAt: epoch,
});
export type CachedUserToken = z.infer<typeof cachedUserTokenSchema>;

/** An alert carried across continue-as-new: a dead webhook never holds a run back. */
const pendingAlertSchema = z.object({
  id: z.string().max(200),
  event: z.enum(['entered', 'recovered']),
  companyId: companyIdSchema,
  workflowId: z.string().max(300),
  status: z.enum(TOKEN_STATUSES),
  previous: z.enum(['OK', 'DEGRADED', 'EXPIRED', 'NEEDS_REAUTH']),
  reason: z.enum(STATUS_REASONS).optional(),
  lastError: z.string().max(1000).optional(),
  summary: z.string().max(1000),
  action: z.string().max(1000),
  at: z.string().max(64),
});

/**
 * Everything a run carries into the next one across continue-as-new. It travels in the workflow input, which anyone
 * who can start a workflow can write, so it is checked like any other input.
 */
export const companyStateSchema = z.object({
  companyId: companyIdSchema,
  policyOverrides: refreshPolicySchema,
  tokens: heldTokensSchema,
  status: z.enum(TOKEN_STATUSES),
  reason: z.enum(STATUS_REASONS).optional(),
  lastError: z.string().max(1000).optional(),
  generation: count,
  upstreamRefreshes: count,
  lastRefreshAt: epoch.optional(),
  consecutiveFailures: count,
  /** The last attempt's outcome is unknown: a rejection of the next one means the reply was lost in flight. */
  outcomeUnknown: z.boolean(),
  /** When the next retry of a failed refresh is due. */
  retryAt: epoch.optional(),
  /** Refreshes asked for (`refreshNow`, `forceRefresh`, learning) and not yet started. */
  refreshRequested: z.boolean(),
  /** Jitter draw for the current set, fixed when the set arrives so the due time is stable. */
  jitter: z.number().min(0).max(1),
  /** Cached user tokens, least recently used first. */
  userTokens: z.array(z.tuple([z.string().max(400), cachedUserTokenSchema])).max(100_000),
  /** Fingerprints of refresh tokens this keeper has spent, newest last: a reseed with one of them is refused. */
  spentRefreshTokens: z.array(z.string().max(32)).max(64).optional(),
  /** Until when Plum's rate-limit penalty holds; forced refreshes wait for it. */
  penaltyUntil: epoch.optional(),
  /** When tokens last arrived unencrypted (in clear in history); they were rotated at once. */
  tokensArrivedUnencryptedAt: epoch.optional(),
  /** When tokens last reached history encrypted but unsealed (readable in the UI); they were rotated at once. */
  tokensArrivedUnsealedAt: epoch.optional(),
  /** The working set a reseed replaced, kept until a refresh proves the new set; held again if Plum refuses it. */
  fallbackTokens: heldTokensSchema.optional(),
  /** The last rotation an operator or service asked for (`forceRefresh`, `refreshNow`): why, and when. */
  lastRotationRequest: z.object({ reason: z.string().max(500), at: epoch }).optional(),
  /** The last state an alert was sent for (`OK` after a recovery): one alert per transition, across runs. */
  alerted: z.enum(['OK', 'DEGRADED', 'EXPIRED', 'NEEDS_REAUTH']).optional(),
  /** Why the rotation spacing holds the refresh past the token's expiry, while it does. */
  rotationHeld: z.string().max(1000).optional(),
  /** Alerts the previous run had not delivered when it continued as new: this run sends them again. */
  pendingAlerts: z.array(pendingAlertSchema).max(16).optional(),
});
export type CompanyState = z.infer<typeof companyStateSchema>;

/** Converts Plum's snake_case set into the held shape; the input has already been validated. */
export function heldFromPlum(tokens: PlumTokens, now: number): HeldTokenSet {
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

/** Whether the held access token may still be handed out at `now`. */
export function accessTokenUsable(tokens: HeldTokenSet, now: number): boolean {
  const { accessToken, accessTokenExpiresAt } = tokens;
  return accessToken !== undefined && (accessTokenExpiresAt === undefined || now < accessTokenExpiresAt);
}

/** Whether the company was started without tokens and waits for the reseed that brings them. */
export const awaitingTokens = (state: CompanyState): boolean => state.reason === 'NO_TOKENS';

/** Rejections of the refresh token (rather than of the company or client) that an earlier unknown outcome explains. */
const SPENT_TOKEN_REASONS: ReadonlySet<string> = new Set(['INVALID_GRANT', 'TOKEN_KILLED']);

/** Whether a rejection with `reason` says the company's token itself is dead (spent or killed). */
export const isSpentTokenReason = (reason: string | undefined): boolean =>
  reason !== undefined && SPENT_TOKEN_REASONS.has(reason);

/** Whether `refreshToken` is one this keeper has already spent: a set holding it is older than the one held. */
export const alreadySpent = (state: CompanyState, refreshToken: string): boolean =>
  (state.spentRefreshTokens ?? []).includes(fingerprint(refreshToken));

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
