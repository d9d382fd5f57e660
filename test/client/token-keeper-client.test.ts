import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { Client } from '@temporalio/client';
import {
  InvalidInputError,
  NeedsReauthError,
  NotEnrolledError,
  TemporalUnavailableError,
  TokenExpiredError,
  TokenKeeperClient,
} from '../../src/client';
import { freePort } from '../../src/dev-server/dev-server';
import { TEST_KEY_RING } from '../helpers/codec';
import type { KeeperEnv } from '../helpers/keeper-env';
import { TEST_DATA_CONVERTER, startKeeperEnv, withWorker } from '../helpers/keeper-env';
import { credentialsOf, uniqueCompanyId } from '../helpers/sandbox';
import { waitFor } from '../helpers/wait';

describe('TokenKeeperClient', () => {
  let env: KeeperEnv;
  const calls = { query: 0, update: 0 };
  let keeper: TokenKeeperClient;

  before(async () => {
    env = await startKeeperEnv({ accessLifetimeMs: 600_000, refreshLifetimeMs: 1_200_000 });
  });
  after(() => env.stop());
  afterEach(async () => {
    await env.sandbox.clearFaults();
    await env.sandbox.setOptions({ accessLifetimeMs: 600_000 });
  });

  /** A keeper client whose Temporal calls are counted. */
  function countedKeeper(taskQueue: string, refreshMarginMs = 5000): TokenKeeperClient {
    const client = new Client({
      connection: env.client.connection,
      dataConverter: TEST_DATA_CONVERTER,
      interceptors: {
        workflow: [
          {
            query: (input, next) => ((calls.query += 1), next(input)),
            startUpdate: (input, next) => ((calls.update += 1), next(input)),
          },
        ],
      },
    });
    return new TokenKeeperClient({ client, taskQueue, refreshMarginMs });
  }

  async function seeded() {
    const companyId = uniqueCompanyId('kc');
    const company = await env.sandbox.seedCompany({ companyId });
    env.credentials.set(companyId, credentialsOf(company));
    return { companyId, company };
  }

  it('cached reads make zero queries; invalidate forces one', async () => {
    await withWorker(env, async (taskQueue) => {
      keeper = countedKeeper(taskQueue);
      const { companyId, company } = await seeded();
      await keeper.enrol(companyId, company.tokens);
      const first = await keeper.getAccessToken(companyId);
      assert.equal(first.accessToken, company.tokens.access_token);
      const before = calls.query;
      for (let i = 0; i < 50; i++)
        assert.equal((await keeper.getAccessToken(companyId)).accessToken, first.accessToken);
      assert.equal(calls.query, before, 'no query while cached');
      keeper.invalidate(companyId);
      await keeper.getAccessToken(companyId);
      assert.equal(calls.query, before + 1);
    });
  });

  it('100 concurrent calls on a cold cache make exactly one query', async () => {
    await withWorker(env, async (taskQueue) => {
      keeper = countedKeeper(taskQueue);
      const { companyId, company } = await seeded();
      await keeper.enrol(companyId, company.tokens);
      const before = calls.query;
      const tokens = await Promise.all(Array.from({ length: 100 }, () => keeper.getAccessToken(companyId)));
      assert.equal(calls.query - before, 1);
      assert.equal(new Set(tokens.map((t) => t.accessToken)).size, 1);
    });
  });

  it('follows rotations without ever handing out an expired token', async () => {
    await env.sandbox.setOptions({ accessLifetimeMs: 4000 });
    await withWorker(env, async (taskQueue) => {
      keeper = countedKeeper(taskQueue, 300);
      const { companyId, company } = await seeded();
      await keeper.enrol(companyId, company.tokens);
      const seen = new Set<string>();
      await waitFor(
        'three generations of tokens',
        async () => {
          const token = await keeper.getAccessToken(companyId);
          const pair = env.sandbox.store.findAccessToken(token.accessToken)?.pair;
          assert.ok(pair && env.sandbox.store.accessTokenUsable(pair), 'the sandbox rejects a token the cache served');
          assert.ok(token.expiresAt > Date.now(), 'the cache served an expired token');
          seen.add(token.accessToken);
          return seen.size >= 3;
        },
        30_000,
      );
    });
  });

  it('an unknown expiry (expiresAt 0: enrolled while Plum’s validate and refresh failed) is served, not called expired', async () => {
    await withWorker(env, async (taskQueue) => {
      keeper = countedKeeper(taskQueue, 300);
      const { companyId, company } = await seeded();
      await env.sandbox.injectFault('validate', { kind: 'serverError', status: 503, times: 1000 });
      await env.sandbox.injectFault('refresh', { kind: 'serverError', status: 503, times: 1000 });
      const { access_token: accessToken, refresh_token: refreshToken } = company.tokens;
      await keeper.enrol(companyId, { access_token: accessToken!, refresh_token: refreshToken });
      const token = await waitFor('the keeper to serve the set with its expiry unknown', async () => {
        keeper.invalidate(companyId);
        const read = await keeper.getAccessToken(companyId);
        return read.status === 'DEGRADED' ? read : undefined;
      });
      assert.equal(token.expiresAt, 0, 'the keeper does not know the expiry');
      assert.equal(token.accessToken, accessToken, 'and the set is served, not refused as expired');
      await env.sandbox.clearFaults();
    });
  });

  it('enrol twice with different sets: one workflow, the second set in force; concurrent enrols: one workflow', async () => {
    await withWorker(env, async (taskQueue) => {
      keeper = countedKeeper(taskQueue);
      const { companyId, company } = await seeded();
      await Promise.all(Array.from({ length: 5 }, () => keeper.enrol(companyId, company.tokens)));
      const fresh = await env.sandbox.regenerateTokens(companyId);
      const before = await keeper.status(companyId);
      const status = await keeper.enrol(companyId, fresh);
      assert.equal(status.status, 'ACTIVE');
      // The second set replaced a working one, so a refresh proved it before the enrol answered.
      assert.equal(status.upstreamRefreshes, before.upstreamRefreshes + 1, 'the second set, proven by a refresh');
      assert.notEqual((await keeper.getAccessToken(companyId)).accessToken, company.tokens.access_token);
      const runs = await waitFor('visibility', async () => {
        const list = [];
        for await (const e of env.client.workflow.list({ query: `WorkflowId = 'plum-company:${companyId}'` }))
          list.push(e);
        return list.length > 0 ? list : undefined;
      });
      assert.equal(runs.length, 1, 'exactly one workflow run for the company');
      const refreshed = await keeper.refreshNow(companyId, 'after enrol');
      assert.notEqual(refreshed.accessToken, fresh.access_token);
      assert.equal(env.sandbox.callCount('refresh', 'rejected'), 0);
    });
  });

  it('user tokens: in-process cache, then the workflow (query), update only on a miss, single-flight per user', async () => {
    await withWorker(env, async (taskQueue) => {
      keeper = countedKeeper(taskQueue);
      const { companyId, company } = await seeded();
      await keeper.enrol(companyId, company.tokens);
      const updatesBefore = calls.update;
      const tokens = await Promise.all(
        Array.from({ length: 10 }, () => keeper.getUserToken(companyId, 'boss@acme.test')),
      );
      assert.equal(new Set(tokens.map((t) => t.accessToken)).size, 1);
      assert.equal(calls.update - updatesBefore, 1, 'one update for ten concurrent callers');
      const queriesBefore = calls.query;
      const again = await keeper.getUserToken(companyId, 'BOSS@acme.test');
      assert.equal(again.accessToken, tokens[0]!.accessToken);
      assert.equal(calls.query, queriesBefore, 'a hit in this process asks Temporal nothing');
      keeper.invalidate(companyId);
      const afterInvalidate = await keeper.getUserToken(companyId, 'boss@acme.test');
      assert.equal(afterInvalidate.accessToken, tokens[0]!.accessToken);
      assert.equal(calls.query, queriesBefore + 1, 'after invalidate the workflow is asked again');
      assert.equal(calls.update - updatesBefore, 1, 'a cache hit in the workflow needs no update');
    });
  });

  it('each typed error comes from the situation it names', async () => {
    await withWorker(env, async (taskQueue) => {
      keeper = countedKeeper(taskQueue);
      await assert.rejects(keeper.getAccessToken('nobody-here'), NotEnrolledError);
      await assert.rejects(keeper.refreshNow('nobody-here'), NotEnrolledError);
      await assert.rejects(
        keeper.getAccessToken('bad id!'),
        (e: Error) => e instanceof InvalidInputError && e.field === 'companyId',
      );
      await assert.rejects(
        keeper.getUserToken('acme', 'not-an-email'),
        (e: Error) => e instanceof InvalidInputError && e.field === 'userToken.email',
      );
      await assert.rejects(
        keeper.enrol('acme', { access_token: 'x' } as never),
        (e: Error) => e instanceof InvalidInputError && e.field === 'tokens.refresh_token',
      );
      await assert.rejects(keeper.list({ status: 'SLEEPY' as never }), InvalidInputError);

      const killed = await seeded();
      await keeper.enrol(killed.companyId, killed.company.tokens);
      await env.sandbox.killTokens(killed.companyId, 'password_reset');
      await keeper.forceRefresh(killed.companyId);
      await waitFor('NEEDS_REAUTH', async () => (await keeper.status(killed.companyId)).status === 'NEEDS_REAUTH');
      keeper.invalidate(killed.companyId);
      await assert.rejects(
        keeper.getAccessToken(killed.companyId),
        (e: Error) => e instanceof NeedsReauthError && e.reason === 'TOKEN_KILLED',
      );
      await assert.rejects(
        keeper.refreshNow(killed.companyId),
        (e: Error) => e instanceof NeedsReauthError && e.reason === 'TOKEN_KILLED',
      );
      const listed = await waitFor('visibility', async () => {
        const rows = await keeper.list({ status: 'NEEDS_REAUTH' });
        return rows.find((r) => r.companyId === killed.companyId);
      });
      assert.equal(listed.status, 'NEEDS_REAUTH');

      await env.sandbox.setOptions({ accessLifetimeMs: 2500 });
      const expiring = await seeded();
      await env.sandbox.injectFault('refresh', { kind: 'serverError', times: 1000 });
      await keeper.enrol(expiring.companyId, expiring.company.tokens);
      await waitFor('EXPIRED', async () => (await keeper.status(expiring.companyId)).status === 'EXPIRED');
      await assert.rejects(keeper.getAccessToken(expiring.companyId), TokenExpiredError);

      await keeper.retire(expiring.companyId);
      await env.client.workflow.getHandle(`plum-company:${expiring.companyId}`).result();
      await assert.rejects(keeper.getAccessToken(expiring.companyId), NotEnrolledError);
      await assert.rejects(keeper.retire(expiring.companyId), NotEnrolledError);
    });

    const port = await freePort();
    await assert.rejects(
      TokenKeeperClient.connect({ address: `127.0.0.1:${port}`, keyRing: TEST_KEY_RING }),
      TemporalUnavailableError,
    );
  });
});
