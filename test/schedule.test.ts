import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toEpochMs } from '../src/contract';
import { backoffMs, dueAt, earliestExpiry, leadFor } from '../src/workflows/schedule';

const DAY = 24 * 3600_000;
const MIN = 60_000;
const policy = { leadFraction: 0.5, minLeadMs: 5 * MIN, jitterFraction: 0.1 };
const t0 = Date.UTC(2026, 10, 1);

describe('schedule maths', () => {
  it('refreshes at half-life of a 15-day token with no jitter', () => {
    const due = dueAt({
      obtainedAt: t0,
      accessTokenExpiresAt: t0 + 15 * DAY,
      refreshTokenExpiresAt: t0 + 30 * DAY,
      policy,
      random: 0,
    });
    assert.equal(due, t0 + 7.5 * DAY);
  });

  it('jitter moves the refresh earlier by at most jitterFraction × lead', () => {
    const base = { obtainedAt: t0, accessTokenExpiresAt: t0 + 10 * DAY, policy };
    assert.equal(dueAt({ ...base, random: 0.999999 }), Math.round(t0 + 5 * DAY - 0.999999 * 0.5 * DAY));
    assert.ok(dueAt({ ...base, random: 0.5 }) < dueAt({ ...base, random: 0 }));
    assert.equal(dueAt({ ...base, random: 7 }), t0 + 5 * DAY - 0.5 * DAY, 'random is clamped to [0, 1]');
  });

  it('a refresh token expiring before the access token decides', () => {
    const due = dueAt({
      obtainedAt: t0,
      accessTokenExpiresAt: t0 + 15 * DAY,
      refreshTokenExpiresAt: t0 + 4 * DAY,
      policy,
      random: 0,
    });
    assert.equal(due, t0 + 2 * DAY);
  });

  it('minLead wins over a small fraction, and the 0.9 cap wins for lifetimes shorter than minLead', () => {
    assert.equal(leadFor(4 * MIN * 10, { leadFraction: 0.01, minLeadMs: 5 * MIN }), 5 * MIN);
    assert.equal(leadFor(60_000, { leadFraction: 0.5, minLeadMs: 5 * MIN }), 54_000);
    const due = dueAt({ obtainedAt: t0, accessTokenExpiresAt: t0 + 60_000, policy, random: 0 });
    assert.equal(due, t0 + 6_000);
  });

  it('an already-expired set is due at once, never in the past of when it was obtained', () => {
    assert.equal(dueAt({ obtainedAt: t0, accessTokenExpiresAt: t0 - DAY, policy, random: 0 }), t0);
  });

  it('missing expiries make the set due at once', () => {
    assert.equal(dueAt({ obtainedAt: t0, policy, random: 0.3 }), t0);
    assert.equal(earliestExpiry(undefined, undefined), undefined);
  });

  it('treats expiries given in seconds as seconds', () => {
    const seconds = Math.round((t0 + 10 * DAY) / 1000);
    assert.equal(toEpochMs(seconds), seconds * 1000);
    assert.equal(toEpochMs(t0), t0);
    assert.equal(dueAt({ obtainedAt: t0, accessTokenExpiresAt: seconds, policy, random: 0 }), t0 + 5 * DAY);
  });

  it('backs off exponentially and caps', () => {
    assert.deepEqual(
      [1, 2, 3, 4].map((n) => backoffMs(n, 1000, 600_000)),
      [1000, 2000, 4000, 8000],
    );
    assert.equal(backoffMs(40, 1000, 600_000), 600_000);
    assert.equal(backoffMs(0, 1000, 600_000), 1000);
  });
});
