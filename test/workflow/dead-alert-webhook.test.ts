// Issue 22, defect 5: with the alert webhook refusing connections and a continue-as-new due, the loop waited for the
// alerts to be delivered with no timer, and the refresh due next never ran.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AlertWebhook } from '../../src/activities/alert-webhook';
import { refreshNowUpdate, retireSignal, statusQuery } from '../../src/contract';
import { enrolSandboxCompany, keeperEnvForSuite, withWorker } from '../helpers/keeper-env';
import { waitFor } from '../helpers/wait';
import { deadPort } from '../helpers/dead-port';

describe('a dead alert webhook never holds a keeper back', () => {
  const env = keeperEnvForSuite({ accessLifetimeMs: 600_000, refreshLifetimeMs: 1_200_000 });

  it('continues as new with the alerts undelivered, keeps rotating, and a retire completes', async () => {
    const alerts = new AlertWebhook({
      url: `http://127.0.0.1:${await deadPort()}/alerts`,
      secret: 's',
      timeoutMs: 500,
    });
    await withWorker(
      env,
      async (taskQueue) => {
        const { handle } = await enrolSandboxCompany(env, taskQueue);
        const firstRun = (await handle.describe()).runId;
        // A failed refresh (DEGRADED, alert 1) and its recovery (alert 2): both stay undelivered.
        await env.sandbox.injectFault('refresh', { kind: 'serverError', status: 503 });
        await handle
          .executeUpdate(refreshNowUpdate, { args: [{ reason: 'fails once, then recovers' }] })
          .catch(() => undefined);
        await waitFor('ACTIVE again', async () => (await handle.query(statusQuery)).status === 'ACTIVE');
        // Rotations until the history passes maxHistoryEvents: the run must continue as new with alerts pending.
        const rotated = await waitFor(
          'a new run while alerts are undelivered',
          async () => {
            await handle.executeUpdate(refreshNowUpdate, { args: [{ reason: 'grow the history' }] });
            return (await handle.describe()).runId !== firstRun;
          },
          60_000,
        );
        assert.ok(rotated);
        const before = (await handle.query(statusQuery)).generation;
        const after = await handle.executeUpdate(refreshNowUpdate, { args: [{ reason: 'after the move' }] });
        assert.ok(after.expiresAt > Date.now());
        assert.ok((await handle.query(statusQuery)).generation > before, 'the new run rotates');
        const last = (await env.client.workflow.getHandle(handle.workflowId, firstRun).fetchHistory()).events?.at(-1);
        assert.ok(last?.workflowExecutionContinuedAsNewEventAttributes, 'the first run continued as new');
        await handle.signal(retireSignal, { reason: 'done' });
        const result = await handle.result();
        assert.equal(result.status, 'RETIRED', 'the retire completed despite the dead webhook');
      },
      { settings: { maxHistoryEvents: 60 }, alerts },
    );
  });
});
