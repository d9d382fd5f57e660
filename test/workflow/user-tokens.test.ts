import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { refreshNowUpdate, statusQuery, cachedUserTokenQuery, userTokenUpdate } from '../../src/contract';
import { enrolSandboxCompany, keeperEnvForSuite, withWorker } from '../helpers/keeper-env';
import { recordHistory } from '../helpers/histories';

/** Runs `fn` over `items` with at most `limit` in flight. */
async function pool<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: limit }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  });
  await Promise.all(lanes);
  return results;
}

describe('user tokens', () => {
  const env = keeperEnvForSuite({
    accessLifetimeMs: 600_000,
    refreshLifetimeMs: 1_200_000,
    userTokenLifetimeMs: 600_000,
  });

  it('a second request inside the cache window makes no upstream call; the query reads the cache', async () => {
    await withWorker(env, async (taskQueue) => {
      const { handle } = await enrolSandboxCompany(env, taskQueue);
      assert.equal(await handle.query(cachedUserTokenQuery, { email: 'a@acme.test' }), null);
      const before = env.sandbox.callCount('createUserToken');
      const first = await handle.executeUpdate(userTokenUpdate, { args: [{ email: 'A@acme.test' }] });
      const second = await handle.executeUpdate(userTokenUpdate, {
        args: [{ email: 'a@acme.test', scope: 'user_session' }],
      });
      assert.deepEqual(second, first);
      assert.equal(env.sandbox.callCount('createUserToken') - before, 1);
      assert.deepEqual(await handle.query(cachedUserTokenQuery, { email: 'a@acme.test' }), first);
      const other = await handle.executeUpdate(userTokenUpdate, {
        args: [{ email: 'a@acme.test', scope: 'store_admin_manage' }],
      });
      assert.notEqual(other.accessToken, first.accessToken, 'scopes are cached apart');
      assert.equal(env.sandbox.callCount('createUserToken') - before, 2);
      await recordHistory(handle, 'user-token-cache');
    });
  });

  it('concurrent requests for one user share one exchange', async () => {
    await withWorker(env, async (taskQueue) => {
      const { handle } = await enrolSandboxCompany(env, taskQueue);
      const before = env.sandbox.callCount('createUserToken');
      const results = await Promise.all(
        Array.from({ length: 10 }, () => handle.executeUpdate(userTokenUpdate, { args: [{ email: 'b@acme.test' }] })),
      );
      assert.equal(new Set(results.map((r) => r.accessToken)).size, 1);
      assert.equal(env.sandbox.callCount('createUserToken') - before, 1);
    });
  });

  it('an exchange rejected because the company token died refreshes the company token, then succeeds', async () => {
    await withWorker(env, async (taskQueue) => {
      const { companyId, handle } = await enrolSandboxCompany(env, taskQueue);
      await env.sandbox.injectFault('createUserToken', { kind: 'oauth', error: 'invalid_token', status: 401 });
      const user = await handle.executeUpdate(userTokenUpdate, { args: [{ email: 'c@acme.test' }] });
      assert.match(user.accessToken, /^sbx_ut_/);
      assert.equal(env.sandbox.rotationCount(companyId), 1, 'the company token went through its refresh path');
      assert.equal((await handle.query(statusQuery)).status, 'ACTIVE');
      await recordHistory(handle, 'user-token-refresh-path');
    });
  });

  it('the 1,001st user evicts the least recently used', async () => {
    await withWorker(env, async (taskQueue) => {
      const { handle } = await enrolSandboxCompany(env, taskQueue);
      // The two oldest entries first, in order; then 998 more in any order.
      await handle.executeUpdate(userTokenUpdate, { args: [{ email: 'victim@acme.test' }] });
      await handle.executeUpdate(userTokenUpdate, { args: [{ email: 'kept@acme.test' }] });
      const emails = Array.from({ length: 998 }, (_, i) => `user${i}@acme.test`);
      await pool(emails, 25, (email) => handle.executeUpdate(userTokenUpdate, { args: [{ email }] }));
      assert.equal((await handle.query(statusQuery)).cachedUserTokens, 1000);
      // Touching "kept" makes "victim" the least recently used.
      const before = env.sandbox.callCount('createUserToken');
      await handle.executeUpdate(userTokenUpdate, { args: [{ email: 'kept@acme.test' }] });
      assert.equal(env.sandbox.callCount('createUserToken'), before, 'a cache hit');
      await handle.executeUpdate(userTokenUpdate, { args: [{ email: 'newcomer@acme.test' }] });
      assert.equal((await handle.query(statusQuery)).cachedUserTokens, 1000);
      assert.equal(
        await handle.query(cachedUserTokenQuery, { email: 'victim@acme.test' }),
        null,
        'the LRU entry was evicted',
      );
      assert.notEqual(await handle.query(cachedUserTokenQuery, { email: 'kept@acme.test' }), null);
      assert.notEqual(await handle.query(cachedUserTokenQuery, { email: 'newcomer@acme.test' }), null);
      assert.notEqual(await handle.query(cachedUserTokenQuery, { email: 'user0@acme.test' }), null);
      const rotated = await handle.executeUpdate(refreshNowUpdate, { args: [{}] });
      assert.ok(rotated.accessToken);
    });
  });
});
