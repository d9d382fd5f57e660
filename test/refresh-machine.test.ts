import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RefreshOutcome } from '../src/workflows/refresh-machine';
import {
  afterRefresh,
  afterReseed,
  alreadySpent,
  holdOff,
  markExpiredIfDue,
  startAttempt,
} from '../src/workflows/refresh-machine';
import type { CompanyState } from '../src/workflows/state';
import { initialState } from '../src/workflows/state';

const NOW = Date.UTC(2026, 5, 1);
const HOUR = 3600_000;
const timing = { backoffInitialMs: 1000, backoffMaxMs: 600_000, noCredentialsRetryMs: 60_000 };
const context = { now: NOW, random: () => 0.25, timing };

function held(overrides: Partial<CompanyState> = {}): CompanyState {
  const state = initialState(
    {
      companyId: 'acme',
      tokens: { access_token: 'a0', refresh_token: 'r0', access_token_expiry: NOW + 10 * HOUR },
    },
    NOW - HOUR,
    () => 0.5,
  );
  return { ...state, ...overrides };
}

const failure = (outcome: Exclude<RefreshOutcome, { kind: 'refreshed' }>['kind'], extra = {}): RefreshOutcome =>
  ({ kind: outcome, message: `${outcome} happened`, ...extra }) as RefreshOutcome;

describe('the refresh machine (state + outcome → state)', () => {
  it('ACTIVE → REFRESHING when an attempt starts; DEGRADED keeps showing DEGRADED', () => {
    assert.equal(startAttempt(held()).status, 'REFRESHING');
    assert.equal(startAttempt(held({ refreshRequested: true })).refreshRequested, false);
    assert.equal(startAttempt(held({ status: 'DEGRADED' })).status, 'DEGRADED');
  });

  it('REFRESHING → ACTIVE on success: new set, generation + 1, failures cleared, the spent token remembered', () => {
    const before = held({
      status: 'REFRESHING',
      consecutiveFailures: 3,
      lastError: 'x',
      retryAt: NOW,
      outcomeUnknown: true,
    });
    const after = afterRefresh(
      before,
      {
        kind: 'refreshed',
        tokens: { accessToken: 'a1', refreshToken: 'r1', tokenType: 'bearer', accessTokenExpiresAt: NOW + HOUR },
      },
      context,
    );
    assert.equal(after.status, 'ACTIVE');
    assert.equal(after.generation, 1);
    assert.equal(after.upstreamRefreshes, 1);
    assert.equal(after.consecutiveFailures, 0);
    assert.equal(after.outcomeUnknown, false);
    assert.equal(after.jitter, 0.25);
    assert.equal(after.lastRefreshAt, NOW);
    assert.equal(after.tokens.refreshToken, 'r1');
    for (const key of ['lastError', 'retryAt', 'reason'] as const) assert.equal(after[key], undefined, key);
    assert.ok(alreadySpent(after, 'r0') && !alreadySpent(after, 'r1'));
    assert.equal(before.generation, 0, 'the input state is not changed');
  });

  it('a definitive rejection → NEEDS_REAUTH with its reason, no retry', () => {
    const after = afterRefresh(
      held(),
      failure('rejected', { reason: 'COMPANY_DISABLED', afterUnknownOutcome: false }),
      context,
    );
    assert.equal(after.status, 'NEEDS_REAUTH');
    assert.equal(after.reason, 'COMPANY_DISABLED');
    assert.equal(after.retryAt, undefined);
    assert.equal(after.consecutiveFailures, 1);
  });

  it('a spent-token rejection after an unknown outcome → NEEDS_REAUTH/LOST_IN_FLIGHT (either side knows it)', () => {
    const grant = failure('rejected', { reason: 'INVALID_GRANT', afterUnknownOutcome: false });
    assert.equal(afterRefresh(held({ outcomeUnknown: true }), grant, context).reason, 'LOST_IN_FLIGHT');
    const fromActivity = failure('rejected', { reason: 'TOKEN_KILLED', afterUnknownOutcome: true });
    assert.equal(afterRefresh(held(), fromActivity, context).reason, 'LOST_IN_FLIGHT');
    const other = failure('rejected', { reason: 'IP_NOT_WHITELISTED', afterUnknownOutcome: true });
    assert.equal(afterRefresh(held({ outcomeUnknown: true }), other, context).reason, 'IP_NOT_WHITELISTED');
  });

  it('rate limited → DEGRADED until the penalty ends, bounded to a day; the penalty is remembered', () => {
    const after = afterRefresh(held(), failure('rate-limited', { retryAfterMs: 5000 }), context);
    assert.equal(after.status, 'DEGRADED');
    assert.equal(after.retryAt, NOW + 5000);
    assert.equal(after.penaltyUntil, NOW + 5000);
    assert.equal(
      afterRefresh(held(), failure('rate-limited', { retryAfterMs: undefined }), context).retryAt,
      NOW + 60_000,
    );
    assert.equal(
      afterRefresh(held(), failure('rate-limited', { retryAfterMs: 1e19 }), context).retryAt,
      NOW + 24 * HOUR,
    );
    assert.equal(
      afterRefresh(held(), failure('rate-limited', { retryAfterMs: NaN }), context).retryAt,
      NOW + 24 * HOUR,
    );
  });

  it('no credentials → DEGRADED/NO_CREDENTIALS, retried after the configured wait', () => {
    const after = afterRefresh(held(), failure('no-credentials'), context);
    assert.deepEqual([after.status, after.reason, after.retryAt], ['DEGRADED', 'NO_CREDENTIALS', NOW + 60_000]);
  });

  it('outcome unknown → DEGRADED, remembered, one quick retry', () => {
    const after = afterRefresh(held(), failure('outcome-unknown'), context);
    assert.deepEqual([after.status, after.outcomeUnknown, after.retryAt], ['DEGRADED', true, NOW + 1000]);
  });

  it('transient failures back off exponentially up to the cap', () => {
    let state = held();
    const waits: number[] = [];
    for (let i = 0; i < 12; i++) {
      state = afterRefresh(state, failure('transient'), context);
      waits.push((state.retryAt ?? 0) - NOW);
    }
    assert.deepEqual(waits.slice(0, 4), [1000, 2000, 4000, 8000]);
    assert.equal(Math.max(...waits), 600_000);
  });

  it('a failure once the access token ran out → EXPIRED; once the refresh token ran out → REFRESH_TOKEN_EXPIRED', () => {
    const expired = held({ tokens: { ...held().tokens, accessTokenExpiresAt: NOW - 1 } });
    assert.equal(afterRefresh(expired, failure('transient'), context).status, 'EXPIRED');
    const dead = held({ tokens: { ...held().tokens, refreshTokenExpiresAt: NOW - 1 } });
    const after = afterRefresh(dead, failure('transient'), context);
    assert.deepEqual([after.status, after.reason], ['NEEDS_REAUTH', 'REFRESH_TOKEN_EXPIRED']);
  });

  it('DEGRADED → EXPIRED when the served token runs out', () => {
    const degraded = held({ status: 'DEGRADED' });
    assert.equal(markExpiredIfDue(degraded, NOW).status, 'DEGRADED');
    assert.equal(markExpiredIfDue(degraded, NOW + 11 * HOUR).status, 'EXPIRED');
    assert.equal(markExpiredIfDue(held(), NOW + 11 * HOUR).status, 'ACTIVE', 'only a degraded company expires here');
  });

  it('reseed → ACTIVE with a new generation; the first set of a company started without tokens is generation 0', () => {
    const needing = held({ status: 'NEEDS_REAUTH', reason: 'INVALID_GRANT', generation: 4 });
    const tokens = { refreshToken: 'r9', tokenType: 'bearer', obtainedAt: NOW };
    const after = afterReseed(needing, tokens, () => 0.1);
    assert.deepEqual([after.status, after.reason, after.generation], ['ACTIVE', undefined, 5]);
    const waiting = initialState({ companyId: 'acme' }, NOW, () => 0.5);
    assert.deepEqual([waiting.status, waiting.reason], ['NEEDS_REAUTH', 'NO_TOKENS']);
    assert.equal(afterReseed(waiting, tokens, () => 0.1).generation, 0);
  });

  it('holds a refresh off for the penalty and the minimum spacing', () => {
    const state = held({ penaltyUntil: NOW + 3000, lastRefreshAt: NOW - 1000 });
    assert.deepEqual(holdOff(state, NOW, 5000), { penaltyMs: 3000, spacingMs: 4000 });
    assert.deepEqual(holdOff(state, NOW + 10_000, 5000), { penaltyMs: 0, spacingMs: 0 });
    assert.deepEqual(holdOff(state, NOW, undefined), { penaltyMs: 3000, spacingMs: 0 });
  });
});
