import type { HeldSetSnapshot, HeldTokenSet, StatusReason, TokenSet, TokenStatus } from '../contract';
import { SPENT_MEMORY, fingerprint } from './fingerprint';
import { backoffMs } from './schedule';
import type { CompanyState } from './state';
import { accessTokenUsable, awaitingTokens, isSpentTokenReason } from './state';

/**
 * How one refresh attempt ended, in the words of the Plum call outcomes (`PLUM_CALL_OUTCOMES`), plus `no_credentials`:
 * the worker had none for the company, so nothing was sent.
 */
export type RefreshOutcome =
  | { kind: 'ok'; tokens: TokenSet }
  | { kind: 'rejected'; reason: StatusReason; afterUnknownOutcome: boolean; message: string }
  | { kind: 'rate_limited'; retryAfterMs: number | undefined; message: string }
  | { kind: 'unknown'; message: string }
  | { kind: 'server_error' | 'not_sent' | 'error' | 'no_credentials'; message: string };

/** What a transition may depend on besides the state: the clock, workflow randomness and the retry delays. */
export interface MachineContext {
  now: number;
  random: () => number;
  timing: { backoffInitialMs: number; backoffMaxMs: number; noCredentialsRetryMs: number };
}

const ALL: readonly TokenStatus[] = ['ACTIVE', 'REFRESHING', 'DEGRADED', 'EXPIRED', 'NEEDS_REAUTH', 'RETIRED'];
const LIVE = ALL.filter((status) => status !== 'RETIRED');
const ATTEMPTED: readonly TokenStatus[] = ['ACTIVE', 'REFRESHING', 'DEGRADED', 'EXPIRED'];

/**
 * Every status change of a keeper: which transition makes it, from where, and why. The functions below are the only
 * code that sets a status; `test/transitions.test.ts` holds each to its rows, and docs/design.md prints this table
 * (`npm run state-table`).
 */
export const STATUS_TRANSITIONS = [
  { by: 'startAttempt', from: ['ACTIVE'], to: 'REFRESHING', when: 'a refresh attempt starts' },
  { by: 'afterRefresh', from: ATTEMPTED, to: 'ACTIVE', when: 'Plum returned a new set' },
  {
    by: 'afterRefresh',
    from: ATTEMPTED,
    to: 'DEGRADED',
    when: 'a refresh failed for a while (5xx, timeout, rate limit, no credentials); the access token still works',
  },
  { by: 'afterRefresh', from: ATTEMPTED, to: 'EXPIRED', when: 'as DEGRADED, and the access token has run out' },
  {
    by: 'afterRefresh',
    from: ATTEMPTED,
    to: 'NEEDS_REAUTH',
    when: 'Plum refused the refresh token or the company, a reply was lost in flight, or the refresh token expired',
  },
  { by: 'markExpiredIfDue', from: ['DEGRADED'], to: 'EXPIRED', when: 'a degraded company’s access token runs out' },
  {
    by: 'holdForSpacing',
    from: ['ACTIVE'],
    to: 'DEGRADED',
    when: 'the minimum interval between rotations holds the refresh past the access token’s expiry',
  },
  { by: 'afterReseed', from: LIVE, to: 'ACTIVE', when: 'a person or an enrolment installed a set' },
  {
    by: 'settleReseed',
    from: ['NEEDS_REAUTH'],
    to: 'ACTIVE',
    when: 'Plum refused a reseeded set: the set held before is held again',
  },
  { by: 'settleReseed', from: ['NEEDS_REAUTH'], to: 'EXPIRED', when: 'as above, and that set’s access token ran out' },
  ...(['ACTIVE', 'DEGRADED', 'EXPIRED', 'NEEDS_REAUTH'] as const).map((to) => ({
    by: 'afterResetRecovery',
    from: LIVE,
    to,
    when:
      to === 'NEEDS_REAUTH'
        ? 'a run made by a Reset could not read the newest set (RESET_UNRECOVERED), or that set needed it'
        : `a run made by a Reset took the newest set the replaced run held, ${to}`,
  })),
  { by: 'retire', from: LIVE, to: 'RETIRED', when: 'the retire signal, once every handler finished' },
] as const satisfies readonly { by: string; from: readonly TokenStatus[]; to: TokenStatus; when: string }[];

export type TransitionName = (typeof STATUS_TRANSITIONS)[number]['by'];

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

/** A refresh attempt starts: the request is consumed and an `ACTIVE` company shows `REFRESHING`. */
export function startAttempt(state: CompanyState): CompanyState {
  return { ...state, refreshRequested: false, ...(state.status === 'ACTIVE' && { status: 'REFRESHING' }) };
}

/** A person must act: no refresh runs until a reseed. */
function needsReauth(state: CompanyState, reason: StatusReason): CompanyState {
  return { ...without(state, 'retryAt'), status: 'NEEDS_REAUTH', reason, refreshRequested: false };
}

/** A transient failure: serve the token while it lasts (`DEGRADED`, then `EXPIRED`) and retry at `retryAt`. */
function degrade(state: CompanyState, retryAt: number, now: number, reason?: StatusReason): CompanyState {
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

function refreshed(state: CompanyState, tokens: TokenSet, context: MachineContext): CompanyState {
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
  if (outcome.kind === 'ok') return refreshed(state, outcome.tokens, context);
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
    case 'rate_limited': {
      const until = now + boundedWait(outcome.retryAfterMs);
      return degrade({ ...failed, penaltyUntil: until }, until, now);
    }
    case 'no_credentials':
      return degrade(failed, now + timing.noCredentialsRetryMs, now, 'NO_CREDENTIALS');
    case 'unknown':
      // The refresh token may have been spent: retry once soon with the same token (works under the grace reading).
      return degrade({ ...failed, outcomeUnknown: true }, now + timing.backoffInitialMs, now);
    default:
      return degrade(
        failed,
        now + backoffMs(failed.consecutiveFailures, timing.backoffInitialMs, timing.backoffMaxMs),
        now,
      );
  }
}

/**
 * The minimum interval between rotations holds the refresh until `releaseAt`: said in the status; past the access
 * token's expiry an `ACTIVE` company is `DEGRADED` until the refresh runs.
 */
export function holdForSpacing(
  state: CompanyState,
  hold: { message: string; releaseAt: number; pastExpiry: boolean },
): CompanyState {
  const held = { ...state, rotationHeld: hold.message };
  if (!hold.pastExpiry || state.status !== 'ACTIVE') return held;
  return { ...held, status: 'DEGRADED', lastError: hold.message, retryAt: hold.releaseAt };
}

/**
 * A person (or enrolment) installed `tokens`: the company is `ACTIVE` again with a new generation. The first set of
 * a company started without tokens is generation 0, as if it had come in the start input.
 */
export function afterReseed(state: CompanyState, tokens: HeldTokenSet, random: () => number): CompanyState {
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
 * The state after the refresh of a set a reseed installed (`next` is what {@link afterRefresh} made of `outcome`):
 * proven, the kept set goes; refused, the kept set is held again, as a new generation, and a refresh is asked for
 * when its access token has run out; anything else (a transient failure) keeps both for the next attempt. `refused`
 * says which happened.
 */
export function settleReseed(
  next: CompanyState,
  outcome: RefreshOutcome,
  now: number,
): { state: CompanyState; refused: boolean } {
  const kept = next.fallbackTokens;
  if (kept === undefined) return { state: next, refused: false };
  if (outcome.kind === 'ok') {
    const { fallbackTokens: _proven, ...rest } = next;
    return { state: rest, refused: false };
  }
  if (next.status !== 'NEEDS_REAUTH') return { state: next, refused: false };
  const { fallbackTokens: _refused, reason, retryAt: _retryAt, ...rest } = next;
  const usable = accessTokenUsable(kept, now);
  const refusal = `Plum refused the reseeded set (${reason ?? 'rejected'}: ${next.lastError ?? 'no message'})`;
  const state: CompanyState = {
    ...rest,
    tokens: kept,
    status: usable ? 'ACTIVE' : 'EXPIRED',
    generation: next.generation + 1,
    consecutiveFailures: 0,
    outcomeUnknown: false,
    refreshRequested: !usable,
    lastError: `${refusal.slice(0, 900)}; the set held before the reseed is kept`,
  };
  return { state, refused: true };
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
    status: snapshot.status === 'REFRESHING' || snapshot.status === 'RETIRED' ? 'ACTIVE' : snapshot.status,
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

/** The run ends for good: `RETIRED`, and nothing is asked of Plum again. */
export function retire(state: CompanyState): CompanyState {
  return { ...state, status: 'RETIRED', refreshRequested: false };
}
