import type { HeldSetSnapshot, StatusReason } from '../contract';
import { SPENT_MEMORY, fingerprint } from './fingerprint';
import { backoffMs } from './schedule';
import type { CompanyState, HeldTokens } from './state';

/** A token set as the refresh activity returns it. */
export interface RefreshedSet {
  accessToken: string;
  refreshToken: string;
  tokenType: string;
  accessTokenExpiresAt: number;
  refreshTokenExpiresAt?: number;
}

/** How one refresh attempt ended, as the workflow classified it (see `classifyRefreshFailure`). */
export type RefreshOutcome =
  | { kind: 'refreshed'; tokens: RefreshedSet }
  | { kind: 'rejected'; reason: StatusReason; afterUnknownOutcome: boolean; message: string }
  | { kind: 'rate-limited'; retryAfterMs: number | undefined; message: string }
  | { kind: 'no-credentials'; message: string }
  | { kind: 'outcome-unknown'; message: string }
  | { kind: 'transient'; message: string };

/** Retry delays the worker configures. */
export interface RetryTiming {
  backoffInitialMs: number;
  backoffMaxMs: number;
  noCredentialsRetryMs: number;
}

/** What a transition may depend on besides the state: the clock, workflow randomness and the retry delays. */
export interface MachineContext {
  now: number;
  random: () => number;
  timing: RetryTiming;
}

/** Rejections of the refresh token (rather than of the company or client) that an earlier unknown outcome explains. */
const SPENT_TOKEN_REASONS: ReadonlySet<string> = new Set(['INVALID_GRANT', 'TOKEN_KILLED']);

/** Whether a rejection with `reason` says the company's token itself is dead (spent or killed). */
export const isSpentTokenReason = (reason: string | undefined): boolean =>
  reason !== undefined && SPENT_TOKEN_REASONS.has(reason);

const DEFAULT_RATE_LIMIT_WAIT_MS = 60_000;
/** A rate-limit wait is never longer than a day, whatever a (possibly older) activity reported. */
const MAX_RATE_LIMIT_WAIT_MS = 24 * 3600_000;

type Cleared = 'reason' | 'lastError' | 'retryAt' | 'penaltyUntil';

function without(state: CompanyState, ...keys: Cleared[]): CompanyState {
  const next = { ...state };
  for (const key of keys) delete next[key];
  return next;
}

function boundedWait(retryAfterMs: number | undefined): number {
  const wait = retryAfterMs ?? DEFAULT_RATE_LIMIT_WAIT_MS;
  return Number.isFinite(wait) ? Math.min(Math.max(0, wait), MAX_RATE_LIMIT_WAIT_MS) : MAX_RATE_LIMIT_WAIT_MS;
}

/** Whether the held access token may still be handed out at `now`. */
export function accessTokenUsable(tokens: HeldTokens, now: number): boolean {
  const { accessToken, accessTokenExpiresAt } = tokens;
  return accessToken !== undefined && (accessTokenExpiresAt === undefined || now < accessTokenExpiresAt);
}

/** A refresh attempt starts: the request is consumed and an `ACTIVE` company shows `REFRESHING`. */
export function startAttempt(state: CompanyState): CompanyState {
  return { ...state, refreshRequested: false, ...(state.status === 'ACTIVE' && { status: 'REFRESHING' }) };
}

/** A person must act: no refresh runs until a reseed. */
export function needsReauth(state: CompanyState, reason: StatusReason): CompanyState {
  return { ...without(state, 'retryAt'), status: 'NEEDS_REAUTH', reason, refreshRequested: false };
}

/** A transient failure: serve the token while it lasts (`DEGRADED`, then `EXPIRED`) and retry at `retryAt`. */
export function degrade(state: CompanyState, retryAt: number, now: number, reason?: StatusReason): CompanyState {
  const { refreshTokenExpiresAt } = state.tokens;
  if (refreshTokenExpiresAt !== undefined && now >= refreshTokenExpiresAt) {
    return needsReauth(state, 'REFRESH_TOKEN_EXPIRED');
  }
  const next: CompanyState = {
    ...without(state, 'reason'),
    status: accessTokenUsable(state.tokens, now) ? 'DEGRADED' : 'EXPIRED',
    retryAt,
  };
  if (reason) next.reason = reason;
  return next;
}

/** A `DEGRADED` company whose access token ran out is `EXPIRED`. */
export function markExpiredIfDue(state: CompanyState, now: number): CompanyState {
  return state.status === 'DEGRADED' && !accessTokenUsable(state.tokens, now) ? { ...state, status: 'EXPIRED' } : state;
}

function refreshed(state: CompanyState, tokens: RefreshedSet, context: MachineContext): CompanyState {
  const { now } = context;
  return {
    ...without(state, 'reason', 'lastError', 'retryAt', 'penaltyUntil'),
    spentRefreshTokens: [...(state.spentRefreshTokens ?? []), fingerprint(state.tokens.refreshToken)].slice(
      -SPENT_MEMORY,
    ),
    tokens: {
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
      tokenType: tokens.tokenType,
      accessTokenExpiresAt: tokens.accessTokenExpiresAt,
      obtainedAt: now,
      ...(tokens.refreshTokenExpiresAt !== undefined && { refreshTokenExpiresAt: tokens.refreshTokenExpiresAt }),
    },
    status: 'ACTIVE',
    generation: state.generation + 1,
    upstreamRefreshes: state.upstreamRefreshes + 1,
    lastRefreshAt: now,
    consecutiveFailures: 0,
    outcomeUnknown: false,
    jitter: context.random(),
  };
}

/** The state after a refresh attempt ended with `outcome`. */
export function afterRefresh(state: CompanyState, outcome: RefreshOutcome, context: MachineContext): CompanyState {
  if (outcome.kind === 'refreshed') return refreshed(state, outcome.tokens, context);
  const { now, timing } = context;
  const failed: CompanyState = {
    ...state,
    consecutiveFailures: state.consecutiveFailures + 1,
    lastError: outcome.message,
  };
  switch (outcome.kind) {
    case 'rejected': {
      const lost = (state.outcomeUnknown || outcome.afterUnknownOutcome) && isSpentTokenReason(outcome.reason);
      return needsReauth(failed, lost ? 'LOST_IN_FLIGHT' : outcome.reason);
    }
    case 'rate-limited': {
      const until = now + boundedWait(outcome.retryAfterMs);
      return degrade({ ...failed, penaltyUntil: until }, until, now);
    }
    case 'no-credentials':
      return degrade(failed, now + timing.noCredentialsRetryMs, now, 'NO_CREDENTIALS');
    case 'outcome-unknown':
      // The refresh token may have been spent: retry once soon with the same token (works under the grace reading).
      return degrade({ ...failed, outcomeUnknown: true }, now + timing.backoffInitialMs, now);
    case 'transient':
      return degrade(
        failed,
        now + backoffMs(failed.consecutiveFailures, timing.backoffInitialMs, timing.backoffMaxMs),
        now,
      );
  }
}

/** Whether `refreshToken` is one this keeper has already spent: a set holding it is older than the one held. */
export const alreadySpent = (state: CompanyState, refreshToken: string): boolean =>
  (state.spentRefreshTokens ?? []).includes(fingerprint(refreshToken));

/**
 * How long a refresh must wait before it may start: Plum's rate-limit penalty (forced requests included) and the
 * minimum spacing between rotations. Zero when it may start now.
 */
export function holdOff(state: CompanyState, now: number, minRotationIntervalMs: number | undefined) {
  const penaltyMs = Math.max(0, (state.penaltyUntil ?? now) - now);
  const spacingMs =
    minRotationIntervalMs && state.lastRefreshAt !== undefined
      ? Math.max(0, state.lastRefreshAt + minRotationIntervalMs - now)
      : 0;
  return { penaltyMs, spacingMs };
}

/** Whether the company was started without tokens and waits for the reseed that brings them. */
export const awaitingTokens = (state: CompanyState): boolean => state.reason === 'NO_TOKENS';

/**
 * A person (or enrolment) installed `tokens`: the company is `ACTIVE` again with a new generation. The first set of
 * a company started without tokens is generation 0, as if it had come in the start input.
 */
export function afterReseed(state: CompanyState, tokens: HeldTokens, random: () => number): CompanyState {
  return {
    ...without(state, 'reason', 'lastError', 'retryAt'),
    tokens,
    status: 'ACTIVE',
    consecutiveFailures: 0,
    outcomeUnknown: false,
    jitter: random(),
    generation: awaitingTokens(state) ? state.generation : state.generation + 1,
  };
}

/**
 * A run made by a Reset starts from an old state; `snapshot` is the newest set the replaced run held. It is taken when
 * it is at least as new; without one (`unrecovered`) nothing may be spent, so a person must reseed.
 */
export function afterResetRecovery(
  state: CompanyState,
  snapshot: HeldSetSnapshot | null,
  unrecovered: boolean,
): CompanyState {
  if (unrecovered) return needsReauth(state, 'RESET_UNRECOVERED');
  if (!snapshot || snapshot.generation < state.generation) return state;
  const next: CompanyState = {
    ...without(state, 'reason', 'retryAt', 'penaltyUntil'),
    status: snapshot.status === 'REFRESHING' ? 'ACTIVE' : snapshot.status,
    tokens: snapshot.tokens,
    generation: snapshot.generation,
    upstreamRefreshes: snapshot.upstreamRefreshes,
    spentRefreshTokens: [
      ...new Set([...(state.spentRefreshTokens ?? []), ...(snapshot.spentRefreshTokens ?? [])]),
    ].slice(-SPENT_MEMORY),
    refreshRequested: false,
  };
  if (snapshot.reason) next.reason = snapshot.reason;
  return next;
}
