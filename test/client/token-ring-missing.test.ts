// Issue 22, defect 3: a client without the token key ring answered `ok` with `sealed:v1:…` as if it were a token.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Client } from '@temporalio/client';
import { TokenKeeperClient, TokenKeyRingMissingError, createDataConverter } from '../../src/client';
import { TEST_KEY_RING } from '../helpers/codec';
import { enrolSandboxCompany, keeperEnvForSuite, withWorker } from '../helpers/keeper-env';

describe('a client without the token key ring', () => {
  const env = keeperEnvForSuite({ accessLifetimeMs: 600_000, refreshLifetimeMs: 1_200_000 });

  it('refuses sealed tokens with a typed error naming PLUM_TOKEN_KEYS, and rotates nothing', async () => {
    await withWorker(env, async (taskQueue) => {
      const { companyId } = await enrolSandboxCompany(env, taskQueue);
      const payloadOnly = new Client({
        connection: env.client.connection,
        dataConverter: createDataConverter(TEST_KEY_RING),
      });
      const keeper = new TokenKeeperClient({ client: payloadOnly, taskQueue });
      const rotationsBefore = env.sandbox.rotationCount(companyId);
      for (const call of [() => keeper.getAccessToken(companyId), () => keeper.refreshNow(companyId, 'no ring')]) {
        await assert.rejects(call, (error: unknown) => {
          assert.ok(error instanceof TokenKeyRingMissingError);
          assert.match(error.hint, /PLUM_TOKEN_KEYS/);
          return true;
        });
      }
      assert.equal(env.sandbox.rotationCount(companyId), rotationsBefore, 'refreshNow was refused before it rotated');
      assert.equal((await keeper.status(companyId)).status, 'ACTIVE');
    });
  });
});
