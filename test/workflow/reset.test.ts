import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { refreshNowUpdate, statusQuery } from '../../src/contract';
import { enrolSandboxCompany, keeperEnvForSuite, withWorker } from '../helpers/keeper-env';
import { testCliPath } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';
import { assertAnswers } from '../helpers/wedge';

describe('a Reset (UI or CLI) of a keeper', () => {
  const env = keeperEnvForSuite({ accessLifetimeMs: 600_000, refreshLifetimeMs: 1_200_000 });

  it('reset to the first workflow task takes the newest set from the replaced run: no rollback, no lockout', async () => {
    const taskQueue = `reset-${process.pid}`;
    let workflowId = '';
    await withWorker(
      env,
      async () => {
        const { companyId, handle } = await enrolSandboxCompany(env, taskQueue);
        workflowId = handle.workflowId;
        for (let i = 0; i < 2; i++)
          await handle.executeUpdate(refreshNowUpdate, { args: [{ reason: `rotation ${i}` }] });
        const before = await handle.query(statusQuery);
        assert.equal(before.generation, 2);
        const { runId: oldRunId } = await handle.describe();

        await promisify(execFile)(await testCliPath(), [
          'workflow',
          'reset',
          '--address',
          env.server.address,
          '--workflow-id',
          handle.workflowId,
          '--type',
          'FirstWorkflowTask',
          '--reason',
          'operator pressed Reset',
        ]);
        const latest = env.client.workflow.getHandle(handle.workflowId);
        await waitFor('the reset run', async () => (await latest.describe()).runId !== oldRunId);
        const recovered = await waitFor('the reset run to hold the newest set', async () => {
          const s = await latest.query(statusQuery);
          return s.generation >= 2 && s.status === 'ACTIVE' ? s : undefined;
        });
        assert.equal(recovered.reason, undefined);

        const rotated = await latest.executeUpdate(refreshNowUpdate, { args: [{ reason: 'after the reset' }] });
        assert.ok(rotated.accessToken);
        assert.equal((await latest.query(statusQuery)).generation, 3, 'the generation never ran backwards');
        assert.equal(env.sandbox.rotationCount(companyId), 3, 'one rotation upstream per generation');
        assert.equal(env.sandbox.callCount('refresh', 'rejected'), 0, 'no spent token was ever sent');
        await assertAnswers(latest);
      },
      { taskQueue },
    );
    // A fresh worker replays the reset run from its whole history (the offline replayer cannot: it does not give a
    // reset run its own run id), and keeps serving it.
    await withWorker(
      env,
      async () => {
        const latest = env.client.workflow.getHandle(workflowId);
        const status = await latest.query(statusQuery);
        assert.equal(status.generation, 3);
        await latest.executeUpdate(refreshNowUpdate, { args: [{ reason: 'after a replay' }] });
        assert.equal((await assertAnswers(latest)).generation, 4);
      },
      { taskQueue },
    );
  });
});
