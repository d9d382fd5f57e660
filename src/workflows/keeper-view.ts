import type { ApplicationFailure } from '@temporalio/common';
import type {
  AccessTokenResult,
  KeeperVersion,
  SchedulePolicy,
  StatusResult,
  UserTokenRequest,
  UserTokenResult,
} from '../contract';
import { DEFAULT_USER_SCOPE } from '../contract';
import { statusOf } from './publication';
import { nextRefreshAt } from './schedule';
import type { CompanyState } from './state';
import { alreadySpent } from './state';
import { accessTokenAnswer } from './token-answer';
import type { UserTokenCache } from './user-tokens';
import { needsReauthFailure, retiredFailure, staleTokensFailure } from './workflow-failures';

/**
 * What the keeper is doing, one phase at a time: starting up (settings, a Reset's recovery), idle (asleep or between
 * steps), refreshing, installing a reseeded set, or retired for good.
 */
export type KeeperPhase = 'starting' | 'idle' | 'refreshing' | 'reseeding' | 'retired';

/** The keeper as queries and validators see it: read-only, answered without a command. */
export interface KeeperView {
  readonly state: Readonly<CompanyState>;
  readonly phase: KeeperPhase;
  /** The schedule policy with the company's overrides; undefined until the worker's settings are loaded. */
  readonly policy: SchedulePolicy | undefined;
  readonly userTokens: UserTokenCache;
  readonly version: KeeperVersion;
}

/** When the next refresh is due, as queries show it (none once retired or before the settings are loaded). */
export const shownNextRefreshAt = (view: KeeperView): number | undefined =>
  view.phase === 'retired' || !view.policy ? undefined : nextRefreshAt(view.state, view.policy);

/** The `status` query's answer, with the build this run is pinned to. */
export function answerStatus(view: KeeperView): StatusResult {
  const status = statusOf(view.state, shownNextRefreshAt(view), view.userTokens.size);
  return { ...status, ...(view.version.build !== undefined && { build: view.version.build }) };
}

/** The `accessToken` query: a token, or why there is none. */
export function answerAccessToken(view: KeeperView, now: number): AccessTokenResult {
  return accessTokenAnswer(view.state, {
    now,
    retired: view.phase === 'retired',
    nextRefreshAt: shownNextRefreshAt(view),
  });
}

/** The `cachedUserToken` query: a cached token not yet due for replacement, or null (never an exchange). */
export function answerCachedUserToken(view: KeeperView, request: UserTokenRequest): UserTokenResult | null {
  if (!view.policy) return null;
  return view.userTokens.fresh(request.email, request.scope ?? DEFAULT_USER_SCOPE, view.policy) ?? null;
}

/** Why a request that needs a refreshable company is refused now, if it is. */
export function refusalToRefresh(view: KeeperView): ApplicationFailure | undefined {
  if (view.phase === 'retired') return retiredFailure();
  const { status, companyId, reason } = view.state;
  return status === 'NEEDS_REAUTH' ? needsReauthFailure(companyId, reason) : undefined;
}

/** Why a reseed is refused now: the keeper retired, or already spent the set's refresh token (installing it would lock the company out). */
export function staleRefusal(view: KeeperView, refreshToken: string): ApplicationFailure | undefined {
  if (view.phase === 'retired') return retiredFailure();
  return alreadySpent(view.state, refreshToken) ? staleTokensFailure(view.state.companyId) : undefined;
}
