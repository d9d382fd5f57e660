// Issue 30, item 7: a keeper whose worker (or build) is gone was reported as "Temporal is unavailable … check that the
// Temporal server is running" by every read, while Temporal answered. The client now asks Temporal and names it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NoWorkerError, TemporalUnavailableError, TokenKeeperClient } from '../../src/client';
import { enrolSandboxCompany, keeperEnvForSuite, withWorker } from '../helpers/keeper-env';

describe('a keeper no worker answers for', () => {
  const env = keeperEnvForSuite({ accessLifetimeMs: 600_000, refreshLifetimeMs: 1_200_000 });

  it('is reported as no worker, with what to do, by status and a token read', async () => {
    const { companyId, taskQueue } = await withWorker(env, async (queue) => {
      const { companyId } = await enrolSandboxCompany(env, queue);
      return { companyId, taskQueue: queue };
    });
    // The worker has stopped: Temporal still answers, nobody takes the keeper's tasks.
    const keeper = new TokenKeeperClient({ client: env.client, taskQueue });
    for (const [what, read] of [
      ['status', () => keeper.status(companyId)],
      ['getAccessToken', () => keeper.getAccessToken(companyId)],
    ] as const) {
      await assert.rejects(read(), (error: Error) => {
        assert.ok(error instanceof NoWorkerError, `${what}: ${error.name}: ${error.message}`);
        assert.ok(!(error instanceof TemporalUnavailableError));
        assert.match(error.message, /no worker answered/);
        assert.match(error.hint, /start the keeper workers/);
        return true;
      });
    }
  });
});
