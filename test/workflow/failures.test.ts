import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { PlumClient } from '../../src/plum/client';
import type { companyTokenWorkflow } from '../../src/workflows';
import type { StatusResult } from '../../src/contract';
import {
  accessTokenQuery,
  forceRefreshSignal,
  refreshNowUpdate,
  reseedUpdate,
  retireSignal,
  statusQuery,
  tokenStatusKey,
  userTokenUpdate,
} from '../../src/contract';
import { InvalidInputError } from '../../src/client';
import { enrol, enrolSandboxCompany, keeperEnvForSuite, withWorker } from '../helpers/keeper-env';
import { credentialsOf, uniqueCompanyId } from '../helpers/sandbox';
import { waitFor } from '../helpers/wait';
import { recordHistory } from '../helpers/histories';
import { servedToken } from '../helpers/queries';

type Handle = WorkflowHandle<typeof companyTokenWorkflow>;

async function statusOf(handle: Handle, want: (s: StatusResult) => boolean, what: string): Promise<StatusResult> {
  return waitFor(what, async () => {
    const status = await handle.query(statusQuery);
    return want(status) ? status : undefined;
  });
}

/** Matches a failed update whose cause says `pattern`. */
function updateFailure(pattern: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof WorkflowUpdateFailedError, String(error));
    assert.match(String((error.cause as Error | undefined)?.message), pattern);
    return true;
  };
}

async function searchStatus(handle: Handle): Promise<string | undefined> {
  const description = await handle.describe();
  return description.typedSearchAttributes.get(tokenStatusKey);
}

describe('companyTokenWorkflow failure paths', () => {
  const env = keeperEnvForSuite({ accessLifetimeMs: 60_000, refreshLifetimeMs: 120_000 });

  const rejections: [string, (companyId: string, tokens: { refresh_token: string }) => Promise<void>, string][] = [
    [
      'a spent refresh token',
      async (companyId, tokens) => {
        const seeded = env.sandbox.store.requireCompany(companyId);
        await new PlumClient({ baseUrl: env.sandbox.url }).refresh(tokens.refresh_token, {
          clientId: seeded.clientId,
          clientSecret: seeded.clientSecret,
        });
      },
      'INVALID_GRANT',
    ],
    ['a password reset', (companyId) => env.sandbox.killTokens(companyId, 'password_reset'), 'TOKEN_KILLED'],
    ['a disabled company', (companyId) => env.sandbox.setCompanyDisabled(companyId, true), 'COMPANY_DISABLED'],
    ['an un-whitelisted caller', (companyId) => env.sandbox.setIpWhitelisted(companyId, false), 'IP_NOT_WHITELISTED'],
  ];

  for (const [name, arrange, reason] of rejections) {
    it(`${name} → NEEDS_REAUTH/${reason} after one attempt; reseed restores ACTIVE`, async () => {
      await withWorker(env, async (taskQueue) => {
        const { companyId, seeded, handle } = await enrolSandboxCompany(env, taskQueue);
        await arrange(companyId, seeded.tokens);
        const callsBefore = env.sandbox.callCount('refresh');
        await handle.signal(forceRefreshSignal, { reason: 'test' });
        const status = await statusOf(handle, (s) => s.status === 'NEEDS_REAUTH', 'NEEDS_REAUTH');
        assert.equal(status.reason, reason);
        assert.equal(env.sandbox.callCount('refresh') - callsBefore, 1, 'one definitive rejection, no retry storm');
        await waitFor('the search attribute', async () => (await searchStatus(handle)) === 'NEEDS_REAUTH');
        await assert.rejects(
          handle.executeUpdate(refreshNowUpdate, { args: [{}] }),
          updateFailure(/needs re-authorisation/),
        );

        await env.sandbox.setCompanyDisabled(companyId, false);
        await env.sandbox.setIpWhitelisted(companyId, true);
        const fresh = await env.sandbox.regenerateTokens(companyId);
        const reseeded = await handle.executeUpdate(reseedUpdate, { args: [{ tokens: fresh }] });
        assert.equal(reseeded.status, 'ACTIVE');
        assert.equal((await servedToken(handle)).accessToken, fresh.access_token);
        const rotated = await handle.executeUpdate(refreshNowUpdate, { args: [{ reason: 'after reseed' }] });
        assert.notEqual(rotated.accessToken, fresh.access_token);
        await waitFor('the search attribute', async () => (await searchStatus(handle)) === 'ACTIVE');
        // One history for the path; the reasons differ only in what Plum said (the transitions' unit tables).
        if (reason === 'INVALID_GRANT') await recordHistory(handle, 'needs-reauth-then-reseeded');
      });
    });
  }

  it('a 5xx storm: DEGRADED while serving the token, then ACTIVE with one rotation', async () => {
    await withWorker(env, async (taskQueue) => {
      const { companyId, seeded, handle } = await enrolSandboxCompany(env, taskQueue);
      await env.sandbox.injectFault('refresh', { kind: 'serverError', status: 503, times: 5 });
      await handle.signal(forceRefreshSignal, {});
      await statusOf(handle, (s) => s.status === 'DEGRADED', 'DEGRADED');
      const served = await servedToken(handle);
      assert.equal(served.accessToken, seeded.tokens.access_token);
      assert.equal(served.status, 'DEGRADED');
      const recovered = await statusOf(handle, (s) => s.status === 'ACTIVE' && s.generation === 1, 'recovery');
      assert.equal(recovered.consecutiveFailures, 0);
      assert.equal(env.sandbox.rotationCount(companyId), 1);
      await recordHistory(handle, '5xx-storm');
    });
  });

  it('a rate limit: the next try waits the penalty', async () => {
    await withWorker(env, async (taskQueue) => {
      const { companyId, handle } = await enrolSandboxCompany(env, taskQueue);
      const calls: number[] = [];
      const onCall = (event: { endpoint: string; companyId?: string }) => {
        if (event.endpoint === 'refresh') calls.push(Date.now());
      };
      env.sandbox.events.on('call', onCall);
      try {
        await env.sandbox.injectFault('refresh', { kind: 'rateLimit', penaltySeconds: 2 });
        await handle.signal(forceRefreshSignal, {});
        const degraded = await statusOf(handle, (s) => s.status === 'DEGRADED', 'DEGRADED');
        assert.match(degraded.lastError ?? '', /rate limited/);
        await statusOf(handle, (s) => s.status === 'ACTIVE' && s.generation === 1, 'recovery');
        assert.equal(calls.length, 2);
        assert.ok(calls[1]! - calls[0]! >= 1900, `retried after ${calls[1]! - calls[0]!} ms`);
        assert.equal(env.sandbox.rotationCount(companyId), 1);
        await recordHistory(handle, 'rate-limited');
      } finally {
        env.sandbox.events.off('call', onCall);
      }
    });
  });

  it('a reply dropped after commit under strict rotation → NEEDS_REAUTH/LOST_IN_FLIGHT', async () => {
    await withWorker(env, async (taskQueue) => {
      const { companyId, handle } = await enrolSandboxCompany(env, taskQueue);
      await env.sandbox.injectFault('refresh', { kind: 'dropAfterCommit' });
      await handle.signal(forceRefreshSignal, {});
      const status = await statusOf(handle, (s) => s.status === 'NEEDS_REAUTH', 'NEEDS_REAUTH');
      assert.equal(status.reason, 'LOST_IN_FLIGHT');
      assert.equal(env.sandbox.rotationCount(companyId), 1, 'the lost reply did rotate upstream');
      await waitFor('the search attribute', async () => (await searchStatus(handle)) === 'NEEDS_REAUTH');
      await recordHistory(handle, 'lost-in-flight-strict');
    });
  });

  it('a reply dropped after commit under the grace reading → the retry recovers ACTIVE', async () => {
    await env.sandbox.setOptions({ rotation: 'grace' });
    try {
      await withWorker(env, async (taskQueue) => {
        const { companyId, handle } = await enrolSandboxCompany(env, taskQueue);
        await env.sandbox.injectFault('refresh', { kind: 'dropAfterCommit' });
        await handle.signal(forceRefreshSignal, {});
        const status = await statusOf(handle, (s) => s.generation === 1, 'the retry');
        assert.equal(status.status, 'ACTIVE');
        assert.equal(env.sandbox.rotationCount(companyId), 2);
        await recordHistory(handle, 'lost-in-flight-grace');
        assert.equal(
          (await servedToken(handle)).accessToken,
          env.sandbox.store.requireCompany(companyId).pairs.at(-1)?.accessToken,
        );
      });
    } finally {
      await env.sandbox.setOptions({ rotation: 'strict' });
    }
  });

  it('the access token running out while failing → EXPIRED, then recovery', async () => {
    await env.sandbox.setOptions({ accessLifetimeMs: 3000 });
    try {
      await withWorker(env, async (taskQueue) => {
        const { seeded, handle } = await enrolSandboxCompany(env, taskQueue);
        await env.sandbox.injectFault('refresh', { kind: 'serverError', times: 1000 });
        await statusOf(handle, (s) => s.status === 'EXPIRED', 'EXPIRED');
        const answer = await handle.query(accessTokenQuery);
        assert.equal(answer.ok, false);
        assert.equal(answer.ok ? undefined : answer.why, 'EXPIRED');
        assert.match(answer.ok ? '' : answer.message, /has expired \(status EXPIRED/);
        await waitFor('the search attribute', async () => (await searchStatus(handle)) === 'EXPIRED');
        await env.sandbox.clearFaults();
        const status = await statusOf(handle, (s) => s.status === 'ACTIVE', 'recovery');
        assert.ok(status.generation >= 1);
        assert.notEqual((await servedToken(handle)).accessToken, seeded.tokens.access_token);
        await recordHistory(handle, 'expired-and-recovered');
      });
    } finally {
      await env.sandbox.setOptions({ accessLifetimeMs: 60_000 });
    }
  });

  it('missing credentials wait visibly (NO_CREDENTIALS) and heal once they appear', async () => {
    await withWorker(env, async (taskQueue) => {
      const companyId = uniqueCompanyId('nocred');
      const seeded = await env.sandbox.seedCompany({ companyId });
      const { handle } = await enrol(env.client, taskQueue, { companyId, tokens: seeded.tokens });
      await handle.signal(forceRefreshSignal, {});
      const waiting = await statusOf(handle, (s) => s.reason === 'NO_CREDENTIALS', 'NO_CREDENTIALS');
      assert.equal(waiting.status, 'DEGRADED');
      assert.equal(env.sandbox.rotationCount(companyId), 0, 'nothing was sent without credentials');
      env.credentials.set(companyId, credentialsOf(seeded));
      await statusOf(handle, (s) => s.status === 'ACTIVE' && s.generation === 1, 'healing');
      await recordHistory(handle, 'no-credentials');
    });
  });

  it('retire completes the workflow with status RETIRED', async () => {
    await withWorker(env, async (taskQueue) => {
      const { handle } = await enrolSandboxCompany(env, taskQueue);
      await handle.signal(retireSignal, { reason: 'offboarded' });
      const result = await handle.result();
      assert.equal(result.status, 'RETIRED');
      assert.equal((await handle.describe()).status.name, 'COMPLETED');
      await recordHistory(handle, 'retired');
    });
  });

  it('bad input is refused before it reaches history, naming the field', async () => {
    await withWorker(env, async (taskQueue) => {
      await assert.rejects(
        enrol(env.client, taskQueue, { companyId: 'bad id!', tokens: { refresh_token: 'x' } }),
        (e: Error) => e instanceof InvalidInputError && /companyId/.test(e.message),
      );
      await assert.rejects(
        enrol(env.client, taskQueue, { companyId: 'ok', tokens: { refresh_token: 'x', expires_in: true as never } }),
        /tokens\.expires_in/,
      );
      const { handle } = await enrolSandboxCompany(env, taskQueue);
      const eventsBefore = await waitFor('the workflow to sleep until its refresh', async () => {
        const events = (await handle.fetchHistory()).events ?? [];
        return events.at(-1)?.timerStartedEventAttributes ? events.length : undefined;
      });
      await assert.rejects(
        handle.executeUpdate(userTokenUpdate, { args: [{ email: 'not-an-email' }] }),
        updateFailure(/email: email must be an e-mail address/),
      );
      await assert.rejects(
        handle.executeUpdate(reseedUpdate, { args: [{ tokens: { access_token: 'x' } as never }] }),
        updateFailure(/tokens\.refresh_token/),
      );
      const history = await handle.fetchHistory();
      const updateEvents = (history.events ?? [])
        .slice(eventsBefore)
        .filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
      assert.equal(updateEvents.length, 0, 'rejected updates left no trace in history');
      assert.equal(history.events?.length ?? 0, eventsBefore, 'the history did not grow');
      assert.equal((await handle.query(statusQuery)).status, 'ACTIVE');
    });
  });
});
