// Issue 22, defects 2 and 7: a reseed through the codec server left the live refresh token unsealed (readable by every
// UI user) and unrotated; and a reseed with a set Plum refuses replaced the held, unspent, working set.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Client } from '@temporalio/client';
import { ReseedRefusedError, TokenKeeperClient } from '../../src/client';
import { createDataConverter } from '../../src/codec/data-converter';
import { accessTokenQuery, reseedUpdate, statusQuery } from '../../src/contract';
import { PlumClient } from '../../src/plum/client';
import { PlumRejectedError } from '../../src/plum/errors';
import { TEST_KEY_RING } from '../helpers/codec';
import { recordHistory } from '../helpers/histories';
import { enrolSandboxCompany, keeperEnvForSuite, withWorker } from '../helpers/keeper-env';
import { credentialsOf } from '../helpers/sandbox';
import { waitFor } from '../helpers/wait';
import { assertAnswers } from '../helpers/wedge';

/** What the codec server and a client without `PLUM_TOKEN_KEYS` write: payloads encrypted, tokens not sealed. */
const PAYLOAD_RING_ONLY = createDataConverter(TEST_KEY_RING);

describe('reseeds never leak or lose a token set', () => {
  const env = keeperEnvForSuite({ accessLifetimeMs: 600_000, refreshLifetimeMs: 1_200_000 });
  const plum = () => new PlumClient({ baseUrl: env.sandbox.url });

  it('a reseed by a client with the payload ring only (no enrolment key, no token ring) is rotated at once, and the status says so', async () => {
    await withWorker(env, async (taskQueue) => {
      const { companyId, seeded, handle } = await enrolSandboxCompany(env, taskQueue);
      const fresh = await env.sandbox.regenerateTokens(companyId);
      const viaCodecServer = new Client({
        connection: env.client.connection,
        namespace: env.server.namespace,
        dataConverter: PAYLOAD_RING_ONLY,
      });
      const before = (await handle.query(statusQuery)).generation;
      await viaCodecServer.workflow
        .getHandle(handle.workflowId)
        .executeUpdate(reseedUpdate, { args: [{ tokens: fresh }] });
      const rotated = await waitFor('the unsealed set to be rotated', async () => {
        const status = await handle.query(statusQuery);
        return status.generation > before + 1 && status.status === 'ACTIVE' ? status : undefined;
      });
      assert.ok(rotated.tokensArrivedUnsealedAt, 'the status says the tokens reached history unsealed');
      await assert.rejects(plum().refresh(fresh.refresh_token, credentialsOf(seeded)), PlumRejectedError);
      await assertAnswers(handle);
    });
  });

  it('a reseed with a set Plum refuses keeps the working set, and says so', async () => {
    await withWorker(env, async (taskQueue) => {
      const { companyId, handle } = await enrolSandboxCompany(env, taskQueue);
      const keeper = new TokenKeeperClient({ client: env.client, taskQueue });
      const held = await handle.query(accessTokenQuery);
      assert.ok(held.ok);
      const bogus = { access_token: 'not-a-plum-token', refresh_token: 'not-a-plum-refresh-token', expires_in: 3600 };
      for (let i = 0; i < 4; i++) {
        const refused = await keeper.reseed(companyId, bogus).then(
          () => undefined,
          (error: unknown) => error,
        );
        assert.ok(refused instanceof ReseedRefusedError, `reseed ${i + 1}: ${String(refused)}`);
        assert.match(refused.message, /Plum refused the reseeded set .*the set held before the reseed is kept/);
      }
      const status = await handle.query(statusQuery);
      assert.equal(status.status, 'ACTIVE');
      assert.equal(status.reseedUnproven, undefined);
      const answer = await handle.query(accessTokenQuery);
      assert.ok(answer.ok && answer.accessToken === held.accessToken, 'the working access token is served again');
      const rotated = await keeper.refreshNow(companyId);
      assert.notEqual(rotated.accessToken, held.accessToken, 'the kept refresh token still rotates');

      // A good set is proven by a refresh at once; the kept one is let go.
      const good = await env.sandbox.regenerateTokens(companyId);
      const beforeGood = await handle.query(statusQuery);
      const proven = await keeper.reseed(companyId, good);
      assert.equal(proven.status, 'ACTIVE');
      assert.equal(proven.reseedUnproven, undefined, 'the reseeded set was proven before the update answered');
      assert.equal(proven.upstreamRefreshes, beforeGood.upstreamRefreshes + 1, 'one refresh proved it');
      await assertAnswers(handle);
      await recordHistory(handle, 'reseed-refused-then-proven');
    });
  });
});
