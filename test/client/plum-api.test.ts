// Calling Plum through the keeper (issue 25, part 5): the sandbox's token-checked API endpoint, a real keeper.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { PlumApi, PlumApiPathError, TokenKeeperClient, retryAfterMs } from '../../src/client';
import type { TokenSource } from '../../src/client';
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

  it('a 401 not about the token (IP not whitelisted) never rotates: 5 requests, 0 rotations, each answered at once', async () => {
    await withWorker(env, async (taskQueue) => {
      const { companyId } = await enrolSandboxCompany(env, taskQueue);
      const keeper = new TokenKeeperClient({ client: env.client, taskQueue });
      const api = new PlumApi(keeper, { baseUrl: env.sandbox.url });
      const rotations = env.sandbox.rotationCount(companyId);
      await env.sandbox.injectFault('api', { kind: 'application', errorId: 'PIPE10017', status: 401, times: 5 });
      for (let i = 0; i < 5; i += 1) {
        const response = await balance(api, companyId);
        assert.equal(response.status, 401);
        assert.equal(
          ((await response.json()) as { errorId: string }).errorId,
          'PIPE10017',
          'the body reaches the caller',
        );
      }
      assert.equal(env.sandbox.rotationCount(companyId) - rotations, 0, 'no rotation for an IP whitelist');
      assert.equal((await balance(api, companyId)).status, 200, 'the token was never spent');
    });
  });

  it('two requests that carried one token cost one rotation, even when the second 401 arrives after the first retry', async () => {
    await withWorker(env, async (taskQueue) => {
      const { companyId } = await enrolSandboxCompany(env, taskQueue);
      const keeper = new TokenKeeperClient({ client: env.client, taskQueue });
      const carried = await keeper.getAccessToken(companyId);
      // The second request read its token before the first one's rotation, and its 401 comes after that rotation.
      const stale: TokenSource = {
        getAccessToken: async () => carried,
        invalidate: (id) => keeper.invalidate(id),
        refreshNow: (id, reason, seen) => keeper.refreshNow(id, reason, seen),
      };
      const first = new PlumApi(keeper, { baseUrl: env.sandbox.url });
      const second = new PlumApi(stale, { baseUrl: env.sandbox.url });
      const rotations = env.sandbox.rotationCount(companyId);
      await env.sandbox.injectFault('api', { kind: 'oauth', error: 'invalid_token', status: 401 });
      assert.equal((await balance(first, companyId)).status, 200);
      assert.equal(env.sandbox.rotationCount(companyId) - rotations, 1);
      await env.sandbox.injectFault('api', { kind: 'oauth', error: 'invalid_token', status: 401 });
      assert.equal((await balance(second, companyId)).status, 200, 'the retry used the token the first rotation made');
      assert.equal(env.sandbox.rotationCount(companyId) - rotations, 1, 'one rotation for the one token');
    });
  });

  it('a path that leaves the base URL is refused before the company token is sent anywhere', async () => {
    await withWorker(env, async (taskQueue) => {
      const { companyId } = await enrolSandboxCompany(env, taskQueue);
      const keeper = new TokenKeeperClient({ client: env.client, taskQueue });
      const sent: string[] = [];
      const api = new PlumApi(keeper, {
        baseUrl: env.sandbox.url,
        fetch: (input, init) => (sent.push(String(input)), fetch(input, init)),
      });
      const other = new URL(env.sandbox.url);
      other.port = String(Number(other.port) + 1);
      for (const path of [`${other.origin}/steal`, '../../outside', 'https://evil.example/x']) {
        await assert.rejects(api.request(companyId, path), PlumApiPathError, path);
      }
      assert.deepEqual([...sent], [], 'nothing was sent');
      assert.equal((await balance(api, companyId)).status, 200, 'a path under the base still works');
      assert.deepEqual([...sent], [`${env.sandbox.url}/v1/oauth/api`]);
    });
  });
});
