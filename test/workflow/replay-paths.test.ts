import assert from 'node:assert/strict';
import type { Payload } from '@temporalio/common';
import { defaultPayloadConverter } from '@temporalio/common';
import { describe, it } from 'node:test';
import { refreshNowUpdate, statusQuery } from '../../src/contract';
import { TokenKeeperClient } from '../../src/client';
import { TEST_DATA_CONVERTER, enrolSandboxCompany, keeperEnvForSuite, withWorker } from '../helpers/keeper-env';
import { recordHistory } from '../helpers/histories';
import { credentialsOf, uniqueCompanyId } from '../helpers/sandbox';
import { waitFor } from '../helpers/wait';

/** Paths the first recorded histories missed (defect 14); each run records them with RECORD_HISTORIES=name. */
describe('the production paths have recorded histories', () => {
  const env = keeperEnvForSuite({ accessLifetimeMs: 600_000, refreshLifetimeMs: 1_200_000 });

  it('enrolment through update-with-start (tokens sent once), a rotation and a repeated enrolment', async () => {
    await withWorker(env, async (taskQueue) => {
      const { companyId, seeded, handle } = await enrolSandboxCompany(env, taskQueue);
      const keeper = new TokenKeeperClient({ client: env.client, taskQueue });
      const again = await keeper.enrol(companyId, seeded.tokens);
      assert.equal(again.generation, 0, 'enrolling with the held set changes nothing');
      await handle.executeUpdate(refreshNowUpdate, { args: [{ reason: 'one rotation' }] });
      const events = (await handle.fetchHistory()).events ?? [];
      const startPayloads = events[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
      const [startInput] = await TEST_DATA_CONVERTER.payloadCodecs![0]!.decode(startPayloads as Payload[]);
      const input = defaultPayloadConverter.fromPayload<Record<string, unknown>>(startInput!);
      assert.deepEqual(
        Object.keys(input),
        ['companyId'],
        'the start carries no tokens: they travel once, in the update',
      );
      assert.ok(
        events.some((e) => e.workflowExecutionUpdateAcceptedEventAttributes),
        'the reseed update',
      );
      await recordHistory(handle, 'enrol-update-with-start');
    });
  });

  it('a set without expiries learns them through the validate endpoint', async () => {
    await withWorker(env, async (taskQueue) => {
      // An enrolment: a reseed replacing a working set proves it with a refresh instead (reseeds.test.ts).
      const companyId = uniqueCompanyId();
      const seeded = await env.sandbox.seedCompany({ companyId });
      env.credentials.set(companyId, credentialsOf(seeded));
      const keeper = new TokenKeeperClient({ client: env.client, taskQueue });
      const status = await keeper.enrol(companyId, {
        access_token: seeded.tokens.access_token,
        refresh_token: seeded.tokens.refresh_token,
      });
      assert.ok(status.accessTokenExpiresAt, 'the expiry was learned');
      assert.equal(status.upstreamRefreshes, 0, 'without a refresh');
      assert.equal(env.sandbox.callCount('validate', 'ok') > 0, true);
      const handle = env.client.workflow.getHandle(`plum-company:${companyId}`);
      await recordHistory(handle, 'validate-learns-expiry');
    });
  });

  it('a company that needs re-authorisation is reseeded back to ACTIVE', async () => {
    await withWorker(env, async (taskQueue) => {
      const { companyId, handle } = await enrolSandboxCompany(env, taskQueue);
      await env.sandbox.killTokens(companyId, 'tokens_regenerated');
      const keeper = new TokenKeeperClient({ client: env.client, taskQueue });
      await assert.rejects(keeper.refreshNow(companyId, 'killed'));
      await waitFor('NEEDS_REAUTH', async () => (await handle.query(statusQuery)).status === 'NEEDS_REAUTH');
      const fresh = await env.sandbox.regenerateTokens(companyId);
      const status = await keeper.reseed(companyId, fresh);
      assert.equal(status.status, 'ACTIVE');
    });
  });
});
