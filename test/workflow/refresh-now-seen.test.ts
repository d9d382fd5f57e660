import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { refreshNowUpdate } from '../../src/contract';
import { TokenKeeperClient } from '../../src/client';
import { enrolSandboxCompany, keeperEnvForSuite, withWorker } from '../helpers/keeper-env';

describe('refreshNow with the expiry the caller saw', () => {
  const env = keeperEnvForSuite({ accessLifetimeMs: 600_000, refreshLifetimeMs: 1_200_000 });

  it('answers with a newer held token instead of rotating again; rotates when the held one is the one seen', async () => {
    await withWorker(env, async (taskQueue) => {
      const { companyId, handle } = await enrolSandboxCompany(env, taskQueue);
      const first = new TokenKeeperClient({ client: env.client, taskQueue });
      const second = new TokenKeeperClient({ client: env.client, taskQueue });
      const seen = await first.getAccessToken(companyId);
      await second.getAccessToken(companyId);

      const rotated = await first.refreshNow(companyId, 'first caller');
      assert.notEqual(rotated.accessToken, seen.accessToken);
      assert.equal(env.sandbox.rotationCount(companyId), 1);

      // The second service saw the same old token fail; the first one's rotation already replaced it.
      const joined = await second.refreshNow(companyId, 'second caller, late');
      assert.equal(joined.accessToken, rotated.accessToken);
      assert.equal(env.sandbox.rotationCount(companyId), 1, 'no second rotation for a token already replaced');

      // A caller that saw the current token, or says nothing, gets a rotation.
      const again = await first.refreshNow(companyId, 'the new one fails too');
      assert.notEqual(again.accessToken, rotated.accessToken);
      assert.equal(env.sandbox.rotationCount(companyId), 2);
      await handle.executeUpdate(refreshNowUpdate, { args: [{ reason: 'raw, no expiry' }] });
      assert.equal(env.sandbox.rotationCount(companyId), 3);
    });
  });

  it('refuses a malformed seenExpiresAt in the validator, naming it', async () => {
    await withWorker(env, async (taskQueue) => {
      const { companyId, handle } = await enrolSandboxCompany(env, taskQueue);
      for (const seenExpiresAt of [-1, 1.5, '123', Date.UTC(2200, 0, 1)]) {
        await assert.rejects(
          handle.executeUpdate(refreshNowUpdate, { args: [{ seenExpiresAt } as never] }),
          (error: unknown) =>
            error instanceof WorkflowUpdateFailedError && /seenExpiresAt/.test(String(error.cause?.message)),
          `seenExpiresAt ${String(seenExpiresAt)}`,
        );
      }
      assert.equal(env.sandbox.rotationCount(companyId), 0, 'a refused request rotated nothing');
    });
  });
});
