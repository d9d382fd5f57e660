// A worker that stopped running (a paused VM, SIGSTOP) wakes holding refresh attempts Temporal has since given to
// another worker: it must not send them. Found by the fault suite (R1's SIGSTOP round, grace mode: one extra rotation).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { StaticCredentialSource } from '../../src/activities/credentials';
import { createActivities } from '../../src/activities/plum-activities';
import { StallWatch } from '../../src/activities/stall-watch';
import { DEFAULT_WORKER_SETTINGS, FAILURE_TYPES } from '../../src/contract';
import { PlumClient } from '../../src/plum/client';
import type { PlumSandbox } from '../../src/sandbox/plum-sandbox';
import { ManualClock, credentialsOf, startSandbox, uniqueCompanyId } from '../helpers/sandbox';

/** Keeps this process from running for `ms`, as a stop signal or a paused VM would. */
function stall(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until);
}

describe('a stalled worker', () => {
  let sandbox: PlumSandbox;
  before(async () => {
    sandbox = await startSandbox();
  });
  after(() => sandbox.stop());

  it('does not send a refresh attempt it was handed before it stopped running, and says the outcome is known', async () => {
    const companyId = uniqueCompanyId('stalled');
    const seeded = await sandbox.seedCompany({ companyId });
    const activities = createActivities({
      plum: new PlumClient({ baseUrl: sandbox.url }),
      credentials: new StaticCredentialSource(new Map([[companyId, credentialsOf(seeded)]])),
      settings: { ...DEFAULT_WORKER_SETTINGS, activityHeartbeatTimeoutMs: 200 },
    });
    const handedOverAt = Date.now();
    stall(300);
    const env = new MockActivityEnvironment({ attempt: 1, currentAttemptScheduledTimestampMs: handedOverAt });
    const heartbeats: unknown[] = [];
    env.on('heartbeat', (details: unknown) => heartbeats.push(details));
    const refresh = () =>
      env.run(activities.refreshCompanyToken, { companyId, refreshToken: seeded.tokens.refresh_token });
    await assert.rejects(refresh(), (error: unknown) => {
      assert.ok(error instanceof ApplicationFailure);
      assert.equal(error.type, FAILURE_TYPES.notSent);
      assert.equal(error.nonRetryable, false);
      return true;
    });
    assert.equal(sandbox.callCount('refresh'), 0, 'nothing reached Plum');
    assert.deepEqual(heartbeats, [{ unknownOutcome: false }]);

    // An attempt handed over after the stall sends as usual.
    const fresh = new MockActivityEnvironment({ attempt: 2, currentAttemptScheduledTimestampMs: Date.now() });
    await fresh.run(activities.refreshCompanyToken, { companyId, refreshToken: seeded.tokens.refresh_token });
    assert.equal(sandbox.rotationCount(companyId), 1);
  });
});

describe('StallWatch', () => {
  it('notices a gap between ticks as long as its threshold, and only for what was handed over before it ended', () => {
    const clock = new ManualClock(1_000_000);
    const watch = new StallWatch(1000, clock.now);
    clock.advance(999);
    assert.equal(watch.resumedSince(1_000_000), false, 'a gap under the threshold is no stall');
    const handedOver = clock.time;
    clock.advance(5000);
    assert.equal(watch.resumedSince(handedOver), true, 'handed over before the stall ended');
    assert.equal(watch.resumedSince(clock.time + 1), false, 'handed over after it');
    clock.advance(200);
    assert.equal(watch.resumedSince(handedOver), true, 'the stall is remembered');
  });
});
