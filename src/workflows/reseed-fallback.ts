import type { RefreshOutcome } from './refresh-machine';
import { accessTokenUsable, awaitingTokens } from './refresh-machine';
import type { CompanyState, HeldTokens } from './state';

/** How long a reseed update waits for the refresh that proves its set before it answers with the status. */
export const RESEED_PROOF_WAIT_MS = 120_000;

/**
 * The set a reseed of `state` may fall back to: the one an earlier reseed still keeps, or the held set when it works
 * and this keeper never spent it (no refresh with an unknown outcome, not refused, not expired).
 */
export function fallbackFor(state: CompanyState, now: number): HeldTokens | undefined {
  if (state.fallbackTokens) return state.fallbackTokens;
  const { tokens } = state;
  const works =
    !awaitingTokens(state) &&
    state.status !== 'NEEDS_REAUTH' &&
    state.status !== 'RETIRED' &&
    !state.outcomeUnknown &&
    tokens.refreshToken !== '' &&
    (tokens.refreshTokenExpiresAt === undefined || now < tokens.refreshTokenExpiresAt);
  return works ? tokens : undefined;
}

/**
 * The state after the refresh of a set a reseed installed (`next` is what the refresh machine made of `outcome`):
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
  if (outcome.kind === 'refreshed') {
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
