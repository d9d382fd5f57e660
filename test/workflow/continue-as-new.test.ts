import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { refreshNowUpdate, statusQuery, cachedUserTokenQuery, userTokenUpdate } from '../../src/contract';
import { enrolSandboxCompany, keeperEnvForSuite, withWorker } from '../helpers/keeper-env';
import { waitFor } from '../helpers/wait';
import { recordHistory } from '../helpers/histories';
import { servedToken } from '../helpers/queries';

describe('continue-as-new', () => {
  const env = keeperEnvForSuite({ accessLifetimeMs: 600_000, refreshLifetimeMs: 1_200_000 });

  it('60 updates in flight across the boundary: none lost, state intact', async () => {
    await withWorker(
      env,
      async (taskQueue) => {
        const { companyId, handle } = await enrolSandboxCompany(env, taskQueue);
        const first = await handle.executeUpdate(refreshNowUpdate, { args: [{ reason: 'before' }] });
        const firstRun = (await handle.describe()).runId;
        const emails = Array.from({ length: 55 }, (_, i) => `u${i}@acme.test`);
        const results = await Promise.all([
          ...emails.map((email) => handle.executeUpdate(userTokenUpdate, { args: [{ email }] })),
          ...Array.from({ length: 5 }, (_, i) =>
            handle.executeUpdate(refreshNowUpdate, { args: [{ reason: `r${i}` }] }),
          ),
        ]);
        assert.equal(results.length, 60);
        for (const result of results) assert.ok(result.accessToken, 'every update answered');
        const runs = await waitFor('a new run', async () => {
          const d = await handle.describe();
          return d.runId !== firstRun ? d : undefined;
        });
        assert.equal(runs.status.name, 'RUNNING');
        const status = await handle.query(statusQuery);
        assert.equal(status.cachedUserTokens, 55, 'the user-token cache crossed the boundary');
        assert.ok(status.generation >= 2, 'the generation survived');
        assert.equal(status.upstreamRefreshes, env.sandbox.rotationCount(companyId));
        assert.equal(status.status, 'ACTIVE');
        for (const email of emails) assert.notEqual(await handle.query(cachedUserTokenQuery, { email }), null);
        const served = await servedToken(handle);
        assert.equal(served.accessToken, env.sandbox.store.requireCompany(companyId).pairs.at(-1)?.accessToken);
        assert.notEqual(served.accessToken, first.accessToken);
        await recordHistory(handle, 'continue-as-new-first-run', firstRun);
        await recordHistory(handle, 'continue-as-new-second-run');
      },
      { settings: { maxHistoryEvents: 40 } },
    );
  });
});
