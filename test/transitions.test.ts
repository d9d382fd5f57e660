import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { refreshOutcome } from '../chaos/lib/arbitraries';
import { tableRows } from '../scripts/readme-table';
import { STATE_TABLE, stateTableMarkdown } from '../scripts/state-table';
import type { TokenStatus } from '../src/contract';
import { TOKEN_STATUSES } from '../src/contract';
import { describe, it } from 'node:test';
import type { RefreshOutcome, TransitionName } from '../src/workflows/transitions';
import {
  STATUS_TRANSITIONS,
  afterRefresh,
  afterReseed,
  afterResetRecovery,
  retire,
  settleReseed,
  holdForSpacing,
  markExpiredIfDue,
  startAttempt,
} from '../src/workflows/transitions';
import { holdOffFor } from '../src/workflows/hold-off';
import type { CompanyState } from '../src/workflows/state';
import { alreadySpent, initialState } from '../src/workflows/state';

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

const failure = (outcome: Exclude<RefreshOutcome, { kind: 'ok' }>['kind'], extra = {}): RefreshOutcome =>
  ({ kind: outcome, message: `${outcome} happened`, ...extra }) as RefreshOutcome;

describe('the transitions (state + outcome → state)', () => {
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
        kind: 'ok',
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
    const after = afterRefresh(held(), failure('rate_limited', { retryAfterMs: 5000 }), context);
    assert.equal(after.status, 'DEGRADED');
    assert.equal(after.retryAt, NOW + 5000);
    assert.equal(after.penaltyUntil, NOW + 5000);
    assert.equal(
      afterRefresh(held(), failure('rate_limited', { retryAfterMs: undefined }), context).retryAt,
      NOW + 60_000,
    );
    assert.equal(
      afterRefresh(held(), failure('rate_limited', { retryAfterMs: 1e19 }), context).retryAt,
      NOW + 24 * HOUR,
    );
    assert.equal(
      afterRefresh(held(), failure('rate_limited', { retryAfterMs: NaN }), context).retryAt,
      NOW + 24 * HOUR,
    );
  });

  it('no credentials → DEGRADED/NO_CREDENTIALS, retried after the configured wait', () => {
    const after = afterRefresh(held(), failure('no_credentials'), context);
    assert.deepEqual([after.status, after.reason, after.retryAt], ['DEGRADED', 'NO_CREDENTIALS', NOW + 60_000]);
  });

  it('outcome unknown → DEGRADED, remembered, one quick retry', () => {
    const after = afterRefresh(held(), failure('unknown'), context);
    assert.deepEqual([after.status, after.outcomeUnknown, after.retryAt], ['DEGRADED', true, NOW + 1000]);
  });

  it('transient failures back off exponentially up to the cap', () => {
    let state = held();
    const waits: number[] = [];
    for (let i = 0; i < 12; i++) {
      state = afterRefresh(state, failure('server_error'), context);
      waits.push((state.retryAt ?? 0) - NOW);
    }
    assert.deepEqual(waits.slice(0, 4), [1000, 2000, 4000, 8000]);
    assert.equal(Math.max(...waits), 600_000);
  });

  it('a failure once the access token ran out → EXPIRED; once the refresh token ran out → REFRESH_TOKEN_EXPIRED', () => {
    const expired = held({ tokens: { ...held().tokens, accessTokenExpiresAt: NOW - 1 } });
    assert.equal(afterRefresh(expired, failure('server_error'), context).status, 'EXPIRED');
    const dead = held({ tokens: { ...held().tokens, refreshTokenExpiresAt: NOW - 1 } });
    const after = afterRefresh(dead, failure('server_error'), context);
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

  it('holds a refresh off for the longer of the penalty and the minimum spacing, and says when it outlasts the token', () => {
    const state = held({ penaltyUntil: NOW + 3000, lastRefreshAt: NOW - 1000 });
    const spaced = holdOffFor(state, NOW, 5000);
    assert.equal(spaced?.waitMs, 4000);
    assert.deepEqual(spaced?.spacing && [spaced.spacing.releaseAt, spaced.spacing.pastExpiry], [NOW + 4000, false]);
    assert.equal(holdOffFor(state, NOW + 10_000, 5000), undefined);
    assert.deepEqual(holdOffFor(state, NOW, 0), { waitMs: 3000, why: 'Plum’s rate-limit penalty' });
    const shortLived = held({
      lastRefreshAt: NOW - 1000,
      tokens: { ...held().tokens, accessTokenExpiresAt: NOW + 60_000 },
    });
    const past = holdOffFor(shortLived, NOW, 3600_000)!.spacing!;
    assert.equal(past.pastExpiry, true);
    const degraded = holdForSpacing(shortLived, past);
    assert.deepEqual(
      [degraded.status, degraded.retryAt, degraded.rotationHeld],
      ['DEGRADED', past.releaseAt, past.message],
    );
    assert.equal(holdForSpacing(held(), { ...past, pastExpiry: false }).status, 'ACTIVE');
  });
});

describe('STATUS_TRANSITIONS, the table docs/design.md prints', () => {
  const allowed = (by: TransitionName, from: TokenStatus, to: TokenStatus) =>
    STATUS_TRANSITIONS.some(
      (row) => row.by === by && row.to === to && (row.from as readonly TokenStatus[]).includes(from),
    );

  it('holds every status change each transition makes, over random walks through all of them', () => {
    const step = fc.oneof(
      fc.record({ by: fc.constant('startAttempt' as const) }),
      fc.record({ by: fc.constant('afterRefresh' as const), outcome: refreshOutcome }),
      fc.record({ by: fc.constant('markExpiredIfDue' as const), laterMs: fc.integer({ min: 0, max: 20 * HOUR }) }),
      fc.record({ by: fc.constant('holdForSpacing' as const), pastExpiry: fc.boolean() }),
      fc.record({ by: fc.constant('afterReseed' as const) }),
      fc.record({ by: fc.constant('settleReseed' as const), outcome: refreshOutcome }),
      fc.record({
        by: fc.constant('afterResetRecovery' as const),
        unrecovered: fc.boolean(),
        snapshotStatus: fc.constantFrom(...TOKEN_STATUSES),
      }),
      fc.record({ by: fc.constant('retire' as const) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 25 }), (steps) => {
        let state = held();
        for (const s of steps) {
          if (state.status === 'RETIRED') break;
          // The keeper refreshes only a company it may refresh (never NEEDS_REAUTH: `refreshDue`).
          const refreshable = state.status !== 'NEEDS_REAUTH';
          if (!refreshable && ['startAttempt', 'afterRefresh', 'settleReseed'].includes(s.by)) continue;
          let next: CompanyState;
          switch (s.by) {
            case 'startAttempt':
              next = startAttempt(state);
              break;
            case 'afterRefresh':
              next = afterRefresh(state, s.outcome, context);
              break;
            case 'markExpiredIfDue':
              next = markExpiredIfDue(state, NOW + s.laterMs);
              break;
            case 'holdForSpacing':
              next = holdForSpacing(state, { message: 'held', releaseAt: NOW + HOUR, pastExpiry: s.pastExpiry });
              break;
            case 'afterReseed':
              next = afterReseed(state, { refreshToken: 'r-new', tokenType: 'bearer', obtainedAt: NOW }, () => 0.3);
              break;
            case 'settleReseed': {
              const refreshed = afterRefresh({ ...state, fallbackTokens: held().tokens }, s.outcome, context);
              state = refreshed;
              next = settleReseed(refreshed, s.outcome, NOW).state;
              break;
            }
            case 'afterResetRecovery':
              next = afterResetRecovery(
                state,
                { ...held(), status: s.snapshotStatus, generation: state.generation + 1 },
                s.unrecovered,
              );
              break;
            case 'retire':
              next = retire(state);
              break;
          }
          if (next.status !== state.status) {
            assert.ok(allowed(s.by, state.status, next.status), `${s.by}: ${state.status} → ${next.status}`);
          }
          state = next;
        }
      }),
      { seed: 20261206, numRuns: 500 },
    );
  });

  it('is the table docs/design.md shows (npm run state-table -- --write writes it)', () => {
    const design = readFileSync(join(__dirname, '..', STATE_TABLE.path), 'utf8');
    assert.deepEqual(
      tableRows(design, STATE_TABLE),
      tableRows(stateTableMarkdown()),
      'run npm run state-table -- --write',
    );
  });
});
