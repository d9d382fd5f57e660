import assert from 'node:assert/strict';
import { replaySinks } from '../../src/worker/keeper-metrics';
import { describe, it } from 'node:test';
import { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { AesGcmCodec } from '../../src/codec/aes-gcm-codec';
import { CodecServer } from '../../src/codec-server/server';
import { PlumClient } from '../../src/plum/client';
import { PlumRejectedError } from '../../src/plum/errors';
import {
  WORKFLOW_TYPE,
  forceRefreshSignal,
  refreshNowUpdate,
  reseedUpdate,
  statusQuery,
  userTokenUpdate,
  workflowIdFor,
} from '../../src/contract';
import { TEST_KEY_RING, TEST_TOKEN_KEY_RING, testKey } from '../helpers/codec';
import {
  TEST_DATA_CONVERTER,
  TEST_WORKER_DATA_CONVERTER,
  enrolSandboxCompany,
  keeperEnvForSuite,
  withWorker,
  workflowBundle,
} from '../helpers/keeper-env';
import { recordHistory } from '../helpers/histories';
import { credentialsOf, uniqueCompanyId } from '../helpers/sandbox';
import { waitFor } from '../helpers/wait';
import { assertAnswers, workflowTaskFailures } from '../helpers/wedge';
import { createDataConverter } from '../../src/codec/data-converter';
import { KeyRing } from '../../src/codec/key-ring';
import { InvalidInputError, TokenKeeperClient } from '../../src/client';

/** Every payload of a workflow's history, as JSON protobuf objects (what the UI posts to the codec server). */
async function historyPayloads(client: Client, workflowId: string): Promise<unknown[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const found: unknown[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') {
      const record = value as Record<string, unknown>;
      if (record.metadata && 'data' in record) found.push(record);
      else Object.values(record).forEach(walk);
    }
  };
  walk(history.events);
  return found;
}

const toJson = (payload: unknown) => {
  const { metadata, data } = payload as { metadata: Record<string, Uint8Array>; data?: Uint8Array };
  return {
    metadata: Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    data: Buffer.from(data ?? new Uint8Array()).toString('base64'),
  };
};

describe('no secret an operator or a stray client can read', () => {
  const env = keeperEnvForSuite({ accessLifetimeMs: 600_000, refreshLifetimeMs: 1_200_000 });

  it('the UI’s codec server decodes the state around tokens but never a token', async () => {
    const uiCodec = await CodecServer.start({
      codec: new AesGcmCodec(TEST_KEY_RING),
      authToken: null,
      allowedOrigins: [],
    });
    try {
      await withWorker(env, async (taskQueue) => {
        const { companyId, handle } = await enrolSandboxCompany(env, taskQueue);
        await handle.executeUpdate(refreshNowUpdate, { args: [{ reason: 'rotate' }] });
        await handle.executeUpdate(userTokenUpdate, { args: [{ email: 'boss@acme.test' }] });
        const payloads = (await historyPayloads(env.client, handle.workflowId)).map(toJson);
        const response = await fetch(`${uiCodec.url}/decode`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-namespace': 'default' },
          body: JSON.stringify({ payloads }),
        });
        const decodedByUi = await response.text();
        const company = env.sandbox.store.requireCompany(companyId);
        const tokens = [
          ...company.pairs.flatMap((p) => [p.accessToken, p.refreshToken]),
          ...[...env.sandbox.store.userTokens.values()].map((u) => u.pair.accessToken),
        ];
        assert.ok(tokens.length >= 5);
        const uiText = Buffer.from(decodedByUi).toString('utf8');
        const uiData = (JSON.parse(uiText) as { payloads: { data?: string }[] }).payloads
          .map((p) => Buffer.from(p.data ?? '', 'base64').toString('utf8'))
          .join('\n');
        assert.match(uiData, /"refreshToken":"sealed:v1:/, 'the UI sees the state with tokens sealed');
        for (const token of tokens) assert.ok(!uiData.includes(token), 'the UI codec revealed a token');
        const decodedByWorker = await TEST_DATA_CONVERTER.payloadCodecs![0]!.decode(
          (await historyPayloads(env.client, handle.workflowId)) as never,
        );
        const workerData = decodedByWorker
          .map((p) => Buffer.from(p.data ?? new Uint8Array()).toString('utf8'))
          .join('\n');
        assert.ok(workerData.includes(company.pairs.at(-1)!.refreshToken), 'the worker’s codec still reads them');
      });
    } finally {
      await uiCodec.stop();
    }
  });

  /** Starts a keeper the way a client without the codec would: its tokens in clear in the start input. */
  async function startInClear(taskQueue: string, prefix: string) {
    const companyId = uniqueCompanyId(prefix);
    const seeded = await env.sandbox.seedCompany({ companyId });
    env.credentials.set(companyId, credentialsOf(seeded));
    const clear = new Client({ connection: env.client.connection });
    const handle = await clear.workflow.start(WORKFLOW_TYPE, {
      taskQueue,
      workflowId: workflowIdFor(companyId),
      args: [{ companyId, tokens: seeded.tokens }],
    });
    return { companyId, seeded, handle, clear, keeperView: env.client.workflow.getHandle(handle.workflowId) };
  }

  it('tokens started or reseeded without the codec are rotated at once, and the status says so', async () => {
    const plum = new PlumClient({ baseUrl: env.sandbox.url });
    await withWorker(env, async (taskQueue) => {
      const { companyId, seeded, handle, clear, keeperView } = await startInClear(taskQueue, 'clear');
      const rotated = await waitFor('the leaked set to be rotated', async () => {
        const s = await keeperView.query(statusQuery);
        return s.generation >= 1 ? s : undefined;
      });
      assert.ok(rotated.tokensArrivedUnencryptedAt, 'the status says the tokens arrived unencrypted');
      await assert.rejects(plum.refresh(seeded.tokens.refresh_token, credentialsOf(seeded)), PlumRejectedError);

      const fresh = await env.sandbox.regenerateTokens(companyId);
      const before = rotated.generation;
      // The keeper answers encrypted: a client without the codec cannot read the reply, but the update ran.
      await assert.rejects(
        clear.workflow.getHandle(handle.workflowId).executeUpdate(reseedUpdate.name, { args: [{ tokens: fresh }] }),
        /Unknown encoding: binary\/encrypted/,
      );
      await waitFor(
        'the reseeded leak to be rotated',
        async () => (await keeperView.query(statusQuery)).generation > before + 1,
      );
      await assert.rejects(plum.refresh(fresh.refresh_token, credentialsOf(seeded)), PlumRejectedError);
      assert.equal((await assertAnswers(keeperView)).status, 'ACTIVE');
      await recordHistory(keeperView, 'started-and-reseeded-in-clear');
    });
  });

  it('a run started in clear while queries arrive replays (found by the chaos suite, R7)', async () => {
    // Queries during the first local activity let the live worker finish the first task between its result and the
    // code after it (2 starts in 10, measured); a patch decided there did not replay. Each start here is replayed.
    await withWorker(env, async (taskQueue) => {
      const unreplayable: string[] = [];
      for (let i = 0; i < 10; i++) {
        const { companyId, handle, keeperView } = await startInClear(taskQueue, 'clear-queried');
        await waitFor(
          'the leaked set to be rotated',
          async () => (await keeperView.query(statusQuery)).generation >= 1,
        );
        const history = await keeperView.fetchHistory();
        await Worker.runReplayHistory(
          { workflowBundle: await workflowBundle(), dataConverter: TEST_WORKER_DATA_CONVERTER, sinks: replaySinks() },
          history,
          handle.workflowId,
        ).catch((error: Error) => unreplayable.push(`${companyId}: ${error.message.slice(0, 300)}`));
      }
      assert.deepEqual(unreplayable, []);
    });
  });

  it('an encrypted enrolment is not mistaken for a leak', async () => {
    await withWorker(env, async (taskQueue) => {
      const { handle } = await enrolSandboxCompany(env, taskQueue);
      const status = await handle.query(statusQuery);
      assert.equal(status.tokensArrivedUnencryptedAt, undefined);
      assert.equal(status.generation, 0);
    });
  });

  it('a client whose active key the worker lacks is refused visibly; the workflow never wedges', async () => {
    const ahead = new Client({
      connection: env.client.connection,
      dataConverter: createDataConverter(
        KeyRing.of({ 'test-a': testKey('a'), 'new-z': testKey('z') }, 'new-z'),
        TEST_TOKEN_KEY_RING,
      ),
    });
    await withWorker(env, async (taskQueue) => {
      const { companyId, handle } = await enrolSandboxCompany(env, taskQueue);
      const early = ahead.workflow.getHandle(handle.workflowId);
      await early.signal(forceRefreshSignal, { reason: 'sent with a key the worker lacks' });
      const status = await waitFor('the signal to be refused', async () => {
        const s = await assertAnswers(handle);
        return s.lastError?.includes('"new-z"') ? s : undefined;
      });
      assert.match(status.lastError ?? '', /give every worker the new key before any client uses it/);
      assert.equal(env.sandbox.rotationCount(companyId), 0, 'the ignored signal rotated nothing');
      await assert.rejects(
        new TokenKeeperClient({ client: ahead, taskQueue }).refreshNow(companyId, 'too early'),
        (e: Error) => e instanceof InvalidInputError && /key id "new-z"/.test(e.message),
      );
      const rotated = await handle.executeUpdate(refreshNowUpdate, { args: [{ reason: 'with the shared key' }] });
      assert.ok(rotated.accessToken);
      assert.equal(await workflowTaskFailures(handle), 0);
    });
  });
});
