import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { forceRefreshSignal, statusQuery } from '../../src/contract';
import { InvalidInputError, TokenKeeperClient, UserTokenRejectedError } from '../../src/client';
import { enrolSandboxCompany, keeperEnvForSuite, withWorker } from '../helpers/keeper-env';
import { waitFor } from '../helpers/wait';
import { assertAnswers } from '../helpers/wedge';

describe('upstream replies and caller errors', () => {
  const env = keeperEnvForSuite({ accessLifetimeMs: 600_000, refreshLifetimeMs: 1_200_000 });

  it('a proxy’s 404 or 403 HTML page is retried, not taken for NEEDS_REAUTH', async () => {
    await withWorker(env, async (taskQueue) => {
      const { companyId, handle } = await enrolSandboxCompany(env, taskQueue);
      for (const status of [404, 403]) {
        await env.sandbox.injectFault('refresh', {
          kind: 'reply',
          status,
          body: '<html><body><h1>Not Found</h1></body></html>',
          headers: { 'content-type': 'text/html' },
        });
      }
      await handle.signal(forceRefreshSignal, { reason: 'proxy page' });
      const healed = await waitFor('the retries to get through', async () => {
        const s = await handle.query(statusQuery);
        assert.notEqual(s.status, 'NEEDS_REAUTH', `went to NEEDS_REAUTH (${s.reason})`);
        return s.generation === 1 ? s : undefined;
      });
      assert.equal(healed.status, 'ACTIVE');
      assert.equal(env.sandbox.rotationCount(companyId), 1);
      await assertAnswers(handle);
    });
  });

  it('a reason over the limit is refused before the signal is sent, not dropped', async () => {
    await withWorker(env, async (taskQueue) => {
      const { companyId } = await enrolSandboxCompany(env, taskQueue);
      const keeper = new TokenKeeperClient({ client: env.client, taskQueue });
      const long = 'x'.repeat(501);
      for (const call of [() => keeper.forceRefresh(companyId, long), () => keeper.refreshNow(companyId, long)]) {
        await assert.rejects(call(), (e: Error) => e instanceof InvalidInputError && e.field === 'reason');
      }
      assert.equal(env.sandbox.rotationCount(companyId), 0);
    });
  });

  it('a reseed with an out-of-range expiry is refused at once, naming the field', async () => {
    await withWorker(env, async (taskQueue) => {
      const { companyId, handle } = await enrolSandboxCompany(env, taskQueue);
      const keeper = new TokenKeeperClient({ client: env.client, taskQueue });
      const eventsBefore = (await handle.fetchHistory()).events?.length;
      await assert.rejects(
        keeper.reseed(companyId, { refresh_token: 'r', access_token: 'a', access_token_expiry: 9e15 }),
        (e: Error) => e instanceof InvalidInputError && e.field === 'tokens.access_token_expiry',
      );
      assert.equal((await handle.fetchHistory()).events?.length, eventsBefore, 'refused before reaching Temporal');
    });
  });

  it('a user-token rejection reaches callers typed, with Plum’s reason (404 is USER_NOT_FOUND)', async () => {
    await withWorker(env, async (taskQueue) => {
      const { companyId } = await enrolSandboxCompany(env, taskQueue);
      const keeper = new TokenKeeperClient({ client: env.client, taskQueue });
      await env.sandbox.setUserDisabled(companyId, 'off@acme.test', true);
      await assert.rejects(
        keeper.getUserToken(companyId, 'off@acme.test'),
        (e: Error) => e instanceof UserTokenRejectedError && e.reason === 'USER_DISABLED',
      );
      await env.sandbox.injectFault('createUserToken', {
        kind: 'reply',
        status: 404,
        body: JSON.stringify({ error: 'not_found', error_description: 'User not found' }),
      });
      await assert.rejects(keeper.getUserToken(companyId, 'ghost@acme.test'), (e: Error) => {
        assert.ok(e instanceof UserTokenRejectedError, String(e));
        assert.equal(e.reason, 'USER_NOT_FOUND');
        assert.doesNotMatch(e.message, /BAD_REQUEST/);
        return true;
      });
    });
  });
});
