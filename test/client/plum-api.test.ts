// Calling Plum through the keeper (issue 25, part 5): the sandbox's token-checked API endpoint, a real keeper.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { PlumApi, TokenKeeperClient, retryAfterMs } from '../../src/client';
import type { KeeperEnv } from '../helpers/keeper-env';
import { enrolSandboxCompany, startKeeperEnv, withWorker } from '../helpers/keeper-env';

describe('PlumApi: the company token as the bearer, one refreshNow and one retry on a 401, 429s handed back', () => {
  let env: KeeperEnv;
  before(async () => {
    env = await startKeeperEnv({ accessLifetimeMs: 600_000, refreshLifetimeMs: 1_200_000 });
  });
  after(() => env.stop());
  afterEach(() => env.sandbox.clearFaults());

  const balance = (api: PlumApi, companyId: string) =>
    api.request(companyId, '/v1/oauth/api', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'plumProAPI.mutation.getBalance', variables: { data: {} } }),
    });

  it('sends the current token (the endpoint checks it) and answers Plum’s response', async () => {
    await withWorker(env, async (taskQueue) => {
      const { companyId } = await enrolSandboxCompany(env, taskQueue);
      const keeper = new TokenKeeperClient({ client: env.client, taskQueue });
      const api = new PlumApi(keeper, { baseUrl: env.sandbox.url });
      const response = await balance(api, companyId);
      assert.equal(response.status, 200);
      assert.deepEqual(((await response.json()) as { data: unknown }).data, {
        getBalance: { status: 1, data: { value: 100, currency: 'USD' } },
      });
      const wrong = new PlumApi(
        {
          ...keeper,
          getAccessToken: async () => ({ accessToken: 'not-a-token', expiresAt: 0, status: 'ACTIVE' as const }),
          invalidate: () => {},
          refreshNow: async () => ({ accessToken: 'still-not', expiresAt: 0 }),
        },
        { baseUrl: env.sandbox.url },
      );
      assert.equal((await balance(wrong, companyId)).status, 401, 'a token the sandbox never issued is refused');
    });
  });

  it('on a 401: drops the cached token, rotates once with the expiry it saw, retries once with the new token', async () => {
    await withWorker(env, async (taskQueue) => {
      const { companyId } = await enrolSandboxCompany(env, taskQueue);
      const keeper = new TokenKeeperClient({ client: env.client, taskQueue });
      const api = new PlumApi(keeper, { baseUrl: env.sandbox.url });
      const before = await keeper.getAccessToken(companyId);
      const rotations = env.sandbox.rotationCount();
      await env.sandbox.injectFault('api', { kind: 'oauth', error: 'invalid_token', status: 401 });
      const response = await balance(api, companyId);
      assert.equal(response.status, 200);
      assert.equal(env.sandbox.rotationCount() - rotations, 1, 'one rotation');
      const after = await keeper.getAccessToken(companyId);
      assert.notEqual(after.accessToken, before.accessToken);
      assert.equal(
        (await keeper.status(companyId)).lastRotationRequest?.reason,
        'Plum answered 401 to /chef/v1/oauth/api',
      );

      // A token Plum keeps refusing: the second 401 goes back to the caller, after one rotation, not a loop.
      await env.sandbox.injectFault('api', { kind: 'oauth', error: 'invalid_token', status: 401, times: 2 });
      const refused = await balance(api, companyId);
      assert.equal(refused.status, 401);
      assert.equal(env.sandbox.rotationCount() - rotations, 2);
    });
  });

  it('a 429 comes back with its Retry-After, and is slept out only within the cap the caller set', async () => {
    await withWorker(env, async (taskQueue) => {
      const { companyId } = await enrolSandboxCompany(env, taskQueue);
      const keeper = new TokenKeeperClient({ client: env.client, taskQueue });
      await env.sandbox.injectFault('api', { kind: 'rateLimit', retryAfterSeconds: 7 });
      const limited = await balance(new PlumApi(keeper, { baseUrl: env.sandbox.url }), companyId);
      assert.equal(limited.status, 429);
      assert.equal(retryAfterMs(limited), 7000);
      const calls = env.sandbox.callCount('api');
      await env.sandbox.injectFault('api', { kind: 'rateLimit', retryAfterSeconds: 7 });
      const capped = await balance(new PlumApi(keeper, { baseUrl: env.sandbox.url, maxRetryAfterMs: 2000 }), companyId);
      assert.equal(capped.status, 429, 'a Retry-After past the cap is never slept for');
      assert.equal(env.sandbox.callCount('api') - calls, 1);
      await env.sandbox.injectFault('api', { kind: 'rateLimit', retryAfterSeconds: 1 });
      const waited = await balance(new PlumApi(keeper, { baseUrl: env.sandbox.url, maxRetryAfterMs: 2000 }), companyId);
      assert.equal(waited.status, 200, 'within the cap: slept out and retried once');
    });
  });
});
