import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FAILURE_TYPES, WORKFLOW_TYPE, forceRefreshSignal, workflowIdFor } from '../../src/contract';
import { InvalidInputError, TokenKeeperClient } from '../../src/client';
import { enrolSandboxCompany, keeperEnvForSuite, withWorker } from '../helpers/keeper-env';
import { uniqueCompanyId } from '../helpers/sandbox';
import { waitFor } from '../helpers/wait';
import { assertAnswers, assertClosedWith } from '../helpers/wedge';

describe('bad workflow input closes the run clearly, never wedges it', () => {
  const env = keeperEnvForSuite({ accessLifetimeMs: 600_000, refreshLifetimeMs: 1_200_000 });

  /** Starts the workflow with raw input, as `temporal workflow start` or another SDK could. */
  const startRaw = (taskQueue: string, workflowId: string, input: unknown) =>
    env.client.workflow.start(WORKFLOW_TYPE, { taskQueue, workflowId, args: [input] });

  it('an out-of-range expiry in the start input closes the workflow with a clear failure', async () => {
    await withWorker(env, async (taskQueue) => {
      const companyId = uniqueCompanyId('range');
      const handle = await startRaw(taskQueue, workflowIdFor(companyId), {
        companyId,
        tokens: { refresh_token: 'r', access_token: 'a', access_token_expiry: 9_000_000_000_000_000 },
      });
      await assertClosedWith(handle, FAILURE_TYPES.invalidInput, /access_token_expiry/);
      await assert.rejects(
        new TokenKeeperClient({ client: env.client, taskQueue }).enrol(companyId, {
          refresh_token: 'r',
          expires_in: '99999999999999',
        }),
        (e: Error) => e instanceof InvalidInputError && e.field === 'tokens.expires_in',
      );
    });
  });

  it('an absurd expiry, penalty or Retry-After from Plum is bounded and the workflow keeps answering', async () => {
    await withWorker(env, async (taskQueue) => {
      const faults = [
        {
          kind: 'reply' as const,
          status: 200,
          body: JSON.stringify({ access_token: 'fake-a', refresh_token: 'fake-r', expires_in: '99999999999999' }),
        },
        { kind: 'rateLimit' as const, penaltySeconds: 1e13 },
        { kind: 'reply' as const, status: 429, body: '{}', headers: { 'retry-after': '9'.repeat(40) } },
      ];
      for (const [index, fault] of faults.entries()) {
        const { handle } = await enrolSandboxCompany(env, taskQueue);
        await env.sandbox.injectFault('refresh', fault);
        await handle.signal(forceRefreshSignal, { reason: `absurd ${index}` });
        const status = await waitFor('the outcome', async () => {
          const s = await assertAnswers(handle);
          return s.status !== 'REFRESHING' && s.consecutiveFailures + s.generation > 0 ? s : undefined;
        });
        const dayAhead = Date.now() + 24 * 3600_000 + 60_000;
        assert.ok((status.nextRefreshAt ?? 0) <= Math.max(dayAhead, Date.UTC(2100, 0, 1)), `fault ${index}`);
        assert.ok((status.accessTokenExpiresAt ?? 0) <= Date.UTC(2100, 0, 1), `fault ${index}`);
        if (fault.kind !== 'reply' || fault.status !== 200) assert.ok((status.nextRefreshAt ?? 0) <= dayAhead);
      }
    });
  });

  it('a forged `carried` state closes the workflow with a clear failure instead of a task-failure loop', async () => {
    await withWorker(env, async (taskQueue) => {
      for (const carried of [{ anything: true }, 'text', 42, { companyId: 'x', tokens: {} }]) {
        const companyId = uniqueCompanyId('carried');
        const handle = await startRaw(taskQueue, workflowIdFor(companyId), {
          companyId,
          tokens: { refresh_token: 'r' },
          carried,
        });
        await assertClosedWith(handle, FAILURE_TYPES.invalidInput, /carried/);
      }
    });
  });

  it('a workflow id that is not the company’s is refused, so two workflows never own one company', async () => {
    await withWorker(env, async (taskQueue) => {
      const { companyId, handle: owner } = await enrolSandboxCompany(env, taskQueue);
      const intruder = await startRaw(taskQueue, 'plum-company:someone-else', {
        companyId,
        tokens: { refresh_token: 'r' },
      });
      await assertClosedWith(intruder, FAILURE_TYPES.invalidInput, /does not match company/);
      const status = await assertAnswers(owner);
      assert.equal(status.status, 'ACTIVE');
      assert.equal(env.sandbox.rotationCount(companyId), 0, 'nobody spent the refresh token');
    });
  });
});
