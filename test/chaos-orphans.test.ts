// R1's classification of the rotations the keeper never took (pure logic; the experiment itself runs in chaos-small).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { orphansOf } from '../chaos/lib/orphans';
import type { TokenPair } from '../src/sandbox/store';

const LIFETIME = 600_000;
const KILL_AT = 1_000_000;

function pair(name: string, issuedAt: number, extra: Partial<TokenPair> = {}): TokenPair {
  return {
    accessToken: `at-${name}`,
    refreshToken: `rt-${name}`,
    accessExpiresAt: issuedAt + LIFETIME,
    refreshExpiresAt: issuedAt + 10 * LIFETIME,
    ...extra,
  };
}

const classify = (pairs: TokenPair[], served?: string) =>
  orphansOf(pairs, 0, served, { accessLifetimeMs: LIFETIME, killAt: KILL_AT }).map((o) => o.inFlightAtKill);

describe('orphansOf', () => {
  it('leaves out pairs spent by a later rotation and the pair the keeper serves', () => {
    const pairs = [pair('spent', KILL_AT - 50, { spentAt: KILL_AT }), pair('served', KILL_AT + 300)];
    assert.deepEqual(classify(pairs, 'at-served'), []);
  });

  it('counts a pair requested before the kill and issued after it as in flight, however late the sandbox was', () => {
    assert.deepEqual(classify([pair('late', KILL_AT + 5000, { requestedAt: KILL_AT - 10 })]), [true]);
  });

  it('counts a pair requested after the kill (a frozen worker waking up) as lost, not in flight', () => {
    assert.deepEqual(classify([pair('zombie', KILL_AT + 3000, { requestedAt: KILL_AT + 2900 })]), [false]);
  });

  it('counts a request that reaches Plum as a frozen worker thaws as in flight: its write had begun', () => {
    const thawAt = KILL_AT + 30_000;
    const at = (requestedAt: number) =>
      orphansOf([pair('thaw', requestedAt + 5, { requestedAt })], 0, undefined, {
        accessLifetimeMs: LIFETIME,
        killAt: KILL_AT,
        thawAt,
      }).map((o) => o.inFlightAtKill);
    assert.deepEqual(at(thawAt + 20), [true], 'written on thaw');
    assert.deepEqual(at(thawAt - 20), [false], 'sent while the worker was frozen: another worker');
    assert.deepEqual(at(thawAt + 5000), [false], 'sent long after the thaw: a new attempt, the stall watch failed');
  });

  it('widens the window by the stall the machine had before the kill: a descheduled worker records nothing', () => {
    const pairs = [pair('stalled', KILL_AT - 1800, { requestedAt: KILL_AT - 2300 })];
    assert.deepEqual(classify(pairs), [false], 'on an idle machine the reply had time');
    const stalled = orphansOf(pairs, 0, undefined, { accessLifetimeMs: LIFETIME, killAt: KILL_AT, stallMs: 1200 });
    assert.deepEqual(
      stalled.map((o) => [o.inFlightAtKill, o.issuedBeforeKillMs]),
      [[true, 1800]],
    );
  });

  it('counts a pair issued long before the kill as lost: its reply had time to be recorded', () => {
    assert.deepEqual(classify([pair('old', KILL_AT - 5000, { requestedAt: KILL_AT - 5400 })]), [false]);
  });
});
