import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { Context } from '@temporalio/activity';
import type { ActivityInboundCallsInterceptor } from '@temporalio/worker';
import { forceRefreshSignal, refreshNowUpdate, statusQuery } from '../../src/contract';
import { StaleTokensError, TokenKeeperClient } from '../../src/client';
import type { CallEvent } from '../../src/sandbox/plum-sandbox';
import { enrolSandboxCompany, keeperEnvForSuite, withWorker } from '../helpers/keeper-env';
import { waitFor } from '../helpers/wait';
import { recordHistory } from '../helpers/histories';
import { assertAnswers } from '../helpers/wedge';

/** Every attempt of the refresh activity runs (Plum answers, the set is heartbeated), then never completes. */
const completionsLost = (): ActivityInboundCallsInterceptor => ({
  async execute(input, next) {
    const result = await next(input);
    if (Context.current().info.activityType !== 'refreshCompanyToken') return result;
    const { cancellationSignal } = Context.current();
    return new Promise<never>((_, reject) =>
      cancellationSignal.addEventListener('abort', () => reject(new Error('cancelled'))),
    );
  },
});

describe('rotations never lose or waste a token set', () => {
  const env = keeperEnvForSuite({ accessLifetimeMs: 600_000, refreshLifetimeMs: 1_200_000 });
  afterEach(async () => {
    await env.sandbox.setOptions({ accessLifetimeMs: 600_000, rateLimitPerWindow: 0 });
  });

  it('when every attempt times out after Plum answered, the saved reply is used, not the dead token', async () => {
    await withWorker(
      env,
      async (taskQueue) => {
        const { companyId, handle } = await enrolSandboxCompany(env, taskQueue);
        await handle.signal(forceRefreshSignal, { reason: 'completions lost' });
        const status = await waitFor(
          'the saved reply to be installed',
          async () => {
            const s = await handle.query(statusQuery);
            assert.notEqual(s.status, 'NEEDS_REAUTH', `went to NEEDS_REAUTH (${s.reason})`);
            return s.generation === 1 ? s : undefined;
          },
          60_000,
        );
        assert.equal(status.status, 'ACTIVE');
        assert.equal(env.sandbox.rotationCount(companyId), 1, 'one rotation upstream');
        assert.equal(env.sandbox.callCount('refresh', 'rejected'), 0, 'the dead refresh token was never spent');
        await recordHistory(handle, 'saved-reply-of-timed-out-refresh');
      },
      { extra: { interceptors: { activity: [() => ({ inbound: completionsLost() })] } } },
    );
  });

  it('re-enrolling with a set the keeper already rotated is refused; the held set stays', async () => {
    await withWorker(env, async (taskQueue) => {
      const { companyId, seeded, handle } = await enrolSandboxCompany(env, taskQueue);
      const keeper = new TokenKeeperClient({ client: env.client, taskQueue });
      await keeper.refreshNow(companyId, 'rotate once');
      await assert.rejects(keeper.enrol(companyId, seeded.tokens), StaleTokensError);
      await assert.rejects(keeper.reseed(companyId, seeded.tokens), StaleTokensError);
      const rotated = await handle.executeUpdate(refreshNowUpdate, { args: [{ reason: 'still works' }] });
      assert.ok(rotated.accessToken);
      assert.equal(env.sandbox.callCount('refresh', 'rejected'), 0);
      assert.equal((await assertAnswers(handle)).status, 'ACTIVE');
      await recordHistory(handle, 'stale-enrol-refused');
    });
  });

  it('forced refreshes during a rate-limit penalty wait for it instead of calling Plum', async () => {
    await withWorker(env, async (taskQueue) => {
      const { companyId, handle } = await enrolSandboxCompany(env, taskQueue);
      await env.sandbox.injectFault('refresh', { kind: 'rateLimit', penaltySeconds: 3 });
      await handle.signal(forceRefreshSignal, { reason: 'meets the limit' });
      await waitFor('the penalty', async () => (await handle.query(statusQuery)).status === 'DEGRADED');
      const callsDuringPenalty = env.sandbox.callCount('refresh');
      const keeper = new TokenKeeperClient({ client: env.client, taskQueue });
      for (let i = 0; i < 8; i++) await handle.signal(forceRefreshSignal, { reason: `impatient ${i}` });
      const rotated = await keeper.refreshNow(companyId, 'impatient update');
      assert.ok(rotated.accessToken);
      assert.equal(env.sandbox.callCount('refresh') - callsDuringPenalty, 1, 'one call, after the penalty');
      assert.equal(env.sandbox.rotationCount(companyId), 1);
      await recordHistory(handle, 'forced-refresh-waits-for-penalty');
    });
  });

  it('a zero lifetime does not start a refresh storm, and an enrolment still gets through', async () => {
    const minRotationIntervalMs = 1000;
    await withWorker(
      env,
      async (taskQueue) => {
        const { companyId, handle } = await enrolSandboxCompany(env, taskQueue);
        const rotations: number[] = [];
        const onCall = (event: CallEvent) => {
          if (event.committed && event.endpoint === 'refresh' && event.companyId === companyId)
            rotations.push(Date.now());
        };
        env.sandbox.events.on('call', onCall);
        try {
          await env.sandbox.setOptions({ accessLifetimeMs: 0 });
          await handle.signal(forceRefreshSignal, { reason: 'storm' });
          await waitFor('four rotations', () => rotations.length >= 4, 30_000);
          const fresh = await env.sandbox.regenerateTokens(companyId);
          await env.sandbox.setOptions({ accessLifetimeMs: 600_000 });
          const status = await new TokenKeeperClient({ client: env.client, taskQueue }).enrol(companyId, fresh);
          assert.equal(status.status, 'ACTIVE');
        } finally {
          env.sandbox.events.off('call', onCall);
        }
        const gaps = rotations.slice(1).map((t, i) => t - rotations[i]!);
        assert.ok(
          gaps.every((gap) => gap >= minRotationIntervalMs * 0.9),
          `rotations closer than the minimum interval: ${gaps.join(', ')} ms`,
        );
        await assertAnswers(handle);
        await recordHistory(handle, 'min-rotation-interval');
      },
      { settings: { minRotationIntervalMs } },
    );
  });
});
