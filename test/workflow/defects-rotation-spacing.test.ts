// Issue 22, defect 8: the rotation spacing was hard-coded (30 s) and, with Plum lifetimes shorter than it, held every
// refresh past the token's expiry in silence.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config';
import { refreshNowUpdate, statusQuery } from '../../src/contract';
import { enrolSandboxCompany, keeperEnvForSuite, withWorker } from '../helpers/keeper-env';
import { waitFor } from '../helpers/wait';

describe('defect 8: rotation spacing', () => {
  const env = keeperEnvForSuite({ accessLifetimeMs: 3000, refreshLifetimeMs: 600_000 });

  it('is PLUM_MIN_ROTATION_INTERVAL_MS, at least a second', () => {
    assert.equal(loadConfig({}).minRotationIntervalMs, 30_000);
    assert.equal(loadConfig({ PLUM_MIN_ROTATION_INTERVAL_MS: '5000' }).minRotationIntervalMs, 5000);
    assert.throws(
      () => loadConfig({ PLUM_MIN_ROTATION_INTERVAL_MS: '0' }),
      /PLUM_MIN_ROTATION_INTERVAL_MS: must be at least 1000/,
    );
  });

  it('says in the status when it holds a refresh past the token’s expiry', async () => {
    await withWorker(
      env,
      async (taskQueue) => {
        const { handle } = await enrolSandboxCompany(env, taskQueue);
        await handle.executeUpdate(refreshNowUpdate, { args: [{ reason: 'start the spacing' }] });
        const status = await waitFor('the hold said', async () => {
          const s = await handle.query(statusQuery);
          return s.rotationHeld?.includes('held until') ? s : undefined;
        });
        assert.match(
          status.rotationHeld!,
          /PLUM_MIN_ROTATION_INTERVAL_MS 8000 ms\): Plum's token lifetime \(3 s\) is shorter/,
        );
      },
      { settings: { minRotationIntervalMs: 8000 } },
    );
  });
});
