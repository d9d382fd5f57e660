import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WorkflowUpdateStage } from '@temporalio/client';
import { refreshNowUpdate, forceRefreshSignal, statusQuery } from '../../src/contract';
import { enrolSandboxCompany, keeperEnvForSuite, withWorker } from '../helpers/keeper-env';
import { waitFor } from '../helpers/wait';
import { recordHistory } from '../helpers/histories';
import { servedToken } from '../helpers/queries';

describe('companyTokenWorkflow rotation', () => {
  const env = keeperEnvForSuite({ accessLifetimeMs: 3000, refreshLifetimeMs: 60_000 });

  const newestAccessToken = (companyId: string) =>
    env.sandbox.store.requireCompany(companyId).pairs.at(-1)?.accessToken;

  it('rotates three times, once upstream per cycle, always serving the newest token', async () => {
    await withWorker(env, async (taskQueue) => {
      const { companyId, handle } = await enrolSandboxCompany(env, taskQueue);
      for (let generation = 1; generation <= 3; generation++) {
        const status = await waitFor(`generation ${generation}`, async () => {
          const s = await handle.query(statusQuery);
          return s.generation >= generation ? s : undefined;
        });
        assert.equal(status.status === 'ACTIVE' || status.status === 'REFRESHING', true, status.status);
        await waitFor('a consistent read of the served token', async () => {
          const before = await handle.query(statusQuery);
          const served = await servedToken(handle);
          const after = await handle.query(statusQuery);
          if (before.generation !== after.generation || after.status !== 'ACTIVE') return false;
          assert.equal(served.accessToken, newestAccessToken(companyId));
          assert.equal(env.sandbox.rotationCount(companyId), after.generation, 'one upstream refresh per cycle');
          return true;
        });
      }
      const final = await handle.query(statusQuery);
      assert.equal(env.sandbox.rotationCount(companyId), final.upstreamRefreshes);
      assert.equal(env.sandbox.callCount('refresh', 'rejected'), 0);
      await recordHistory(handle, 'rotation-cycles');
    });
  });

  it('serialises 20 refreshNow updates and 20 forceRefresh signals into one rotation', async () => {
    await withWorker(
      env,
      async (taskQueue) => {
        const { companyId, handle } = await enrolSandboxCompany(env, taskQueue, {
          policy: { leadFraction: 0.01, minLeadMs: 0 },
        });
        await env.sandbox.setOptions({ accessLifetimeMs: 60_000 });
        const initial = await handle.query(statusQuery);
        const rotationsBefore = env.sandbox.rotationCount(companyId);
        // Hold the upstream reply until every request has reached the workflow: all of them meet one rotation.
        await env.sandbox.injectFault('refresh', { kind: 'hold' });
        await handle.signal(forceRefreshSignal, { reason: 's0' });
        await waitFor('the first rotation to be in flight', () => env.sandbox.heldCount === 1);
        await Promise.all(
          Array.from({ length: 19 }, (_, i) => handle.signal(forceRefreshSignal, { reason: `s${i + 1}` })),
        );
        const updates = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            handle.startUpdate(refreshNowUpdate, {
              args: [{ reason: `u${i}` }],
              waitForStage: WorkflowUpdateStage.ACCEPTED,
            }),
          ),
        );
        env.sandbox.releaseHeld();
        const results = await Promise.all(updates.map((u) => u.result()));
        const tokens = new Set(results.map((r) => r.accessToken));
        assert.equal(tokens.size, 1, 'every update got the token of the one rotation');
        assert.equal(env.sandbox.rotationCount(companyId) - rotationsBefore, 1, 'exactly one upstream refresh');
        const status = await handle.query(statusQuery);
        assert.equal(status.generation, initial.generation + 1);
        assert.equal(env.sandbox.callCount('refresh', 'rejected'), 0, 'no upstream rejection');
        assert.equal([...tokens][0], newestAccessToken(companyId));
        await recordHistory(handle, 'concurrent-refreshes');
        await env.sandbox.setOptions({ accessLifetimeMs: 3000 });
      },
      { httpTimeoutMs: 30_000 },
    );
  });
});
