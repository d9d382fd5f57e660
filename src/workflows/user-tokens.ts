import * as wf from '@temporalio/workflow';
import { ApplicationFailure } from '@temporalio/common';
import type { PlumActivities, SchedulePolicy, UserTokenResult } from '../contract';
import { FAILURE_TYPES } from '../contract';
import { failureMessage, plumFailureOf } from './workflow-failures';
import { isSpentTokenReason } from './state';
import { leadFor } from './schedule';
import { SingleFlight } from '../common/single-flight';
import type { CachedUserToken } from './state';
import { userTokenKey } from './state';
import { countUserTokenRequest } from './metrics';

/** What the user-token exchange needs of the company keeper. */
export interface CompanyTokenSource {
  readonly companyId: string;
  /** Resolves when no rotation or reseed is in flight. */
  idle(): Promise<void>;
  /** The company access token if it may be used now. */
  usableAccessToken(): string | undefined;
  describeStatus(): string;
  /** Asks for a rotation and waits for it; true when it produced a new token set. */
  refreshAndWait(): Promise<boolean>;
}

export interface ExchangeSettings {
  policy: SchedulePolicy;
  activityStartToCloseMs: number;
  cacheSize: number;
}

const toResult = (token: CachedUserToken): UserTokenResult => ({
  email: token.email,
  scope: token.scope,
  accessToken: token.accessToken,
  expiresAt: token.expiresAt,
});

/** User tokens, least recently used first, with at most one exchange per user and scope in flight. */
export class UserTokenCache {
  private readonly entries: Map<string, CachedUserToken>;
  private readonly flights = new SingleFlight<string, UserTokenResult>();
  private readonly activities = wf.proxyActivities<PlumActivities>({ startToCloseTimeout: '1 minute' });

  constructor(carried: [string, CachedUserToken][]) {
    this.entries = new Map(carried);
  }

  get size(): number {
    return this.entries.size;
  }

  /** The cache as it travels across continue-as-new. */
  snapshot(): [string, CachedUserToken][] {
    return [...this.entries.entries()];
  }

  clear(): void {
    this.entries.clear();
  }

  /** A cached token that is not yet due for replacement, or undefined. */
  fresh(email: string, scope: string, policy: SchedulePolicy): UserTokenResult | undefined {
    const cached = this.entries.get(userTokenKey(email, scope));
    return cached && isFresh(cached, policy) ? toResult(cached) : undefined;
  }

  /** A fresh cached token (marked recently used), else one exchange shared by every concurrent caller. */
  async get(
    company: CompanyTokenSource,
    email: string,
    scope: string,
    settings: ExchangeSettings,
  ): Promise<UserTokenResult> {
    const key = userTokenKey(email, scope);
    const cached = this.entries.get(key);
    if (cached && isFresh(cached, settings.policy)) {
      this.entries.delete(key);
      this.entries.set(key, cached);
      countUserTokenRequest('cache_hit');
      return toResult(cached);
    }
    return this.flights.run(key, () => this.exchange(company, email, scope, settings));
  }

  private async exchange(
    company: CompanyTokenSource,
    email: string,
    scope: string,
    settings: ExchangeSettings,
  ): Promise<UserTokenResult> {
    for (let round = 0; ; round++) {
      await company.idle();
      const companyAccessToken = company.usableAccessToken();
      if (!companyAccessToken) {
        throw ApplicationFailure.create({
          type: FAILURE_TYPES.noValidToken,
          message: `company ${company.companyId} has no valid access token (${company.describeStatus()})`,
          nonRetryable: true,
        });
      }
      try {
        const set = await this.activities.createUserToken.executeWithOptions(
          {
            startToCloseTimeout: settings.activityStartToCloseMs,
            retry: { maximumAttempts: 3 },
            summary: `user token (${scope})`,
          },
          [{ companyId: company.companyId, companyAccessToken, email, scope }],
        );
        countUserTokenRequest('exchanged');
        return toResult(this.remember({ email, scope, ...set }, settings.cacheSize));
      } catch (error) {
        const { details } = plumFailureOf(error);
        const companyTokenDied = details?.outcome === 'rejected' && isSpentTokenReason(details.reason);
        if (companyTokenDied && round === 0) {
          wf.log.warn('user-token exchange says the company token died; refreshing it first');
          if (await company.refreshAndWait()) continue;
        }
        countUserTokenRequest('failed');
        throw ApplicationFailure.create({
          type: FAILURE_TYPES.userTokenFailed,
          message: `user-token exchange failed: ${failureMessage(error)}`,
          nonRetryable: true,
          details: details ? [details] : [],
        });
      }
    }
  }

  private remember(
    set: { email: string; scope: string; accessToken: string; tokenType: string; accessTokenExpiresAt: number },
    cacheSize: number,
  ): CachedUserToken {
    const entry: CachedUserToken = {
      email: set.email,
      scope: set.scope,
      accessToken: set.accessToken,
      tokenType: set.tokenType,
      expiresAt: set.accessTokenExpiresAt,
      obtainedAt: Date.now(),
    };
    const key = userTokenKey(set.email, set.scope);
    this.entries.delete(key);
    this.entries.set(key, entry);
    while (this.entries.size > cacheSize) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    return entry;
  }
}

function isFresh(token: CachedUserToken, policy: SchedulePolicy): boolean {
  return Date.now() < token.expiresAt - leadFor(token.expiresAt - token.obtainedAt, policy);
}
