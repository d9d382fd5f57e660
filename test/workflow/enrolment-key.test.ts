// Issue 30, item 2: a token set an operator enrols or reseeds must never reach history in a form the payload ring
// alone opens (every console user holds that ring through the codec server), and the operator must need no key that
// opens other companies' tokens. Operators, services and the codec server seal what they send with the enrolment
// public key; only workers hold its private half.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { TokenKeeperClient } from '../../src/client';
import { AesGcmCodec } from '../../src/codec/aes-gcm-codec';
import { CodecServer } from '../../src/codec-server/server';
import { createDataConverter } from '../../src/codec/data-converter';
import { KeeperCodec } from '../../src/codec/keeper-codec';
import { WORKFLOW_TYPE, statusQuery, workflowIdFor } from '../../src/contract';
import { TEST_ENROLMENT_PUBLIC_KEY, TEST_KEY_RING, TEST_TOKEN_KEY_RING } from '../helpers/codec';
import { keeperEnvForSuite, withWorker } from '../helpers/keeper-env';
import { credentialsOf, uniqueCompanyId } from '../helpers/sandbox';
import { servedToken } from '../helpers/queries';
import { waitFor } from '../helpers/wait';

/** An operator's shell: the payload ring and the enrolment public key, no token ring. */
const OPERATOR = createDataConverter(TEST_KEY_RING, undefined, TEST_ENROLMENT_PUBLIC_KEY);

/** Every payload anywhere in a history event, as the proto objects hold them. */
function payloadsIn(value: unknown, found: temporal.api.common.v1.IPayload[] = []): temporal.api.common.v1.IPayload[] {
  if (value === null || typeof value !== 'object') return found;
  if (value instanceof Uint8Array) return found;
  const record = value as Record<string, unknown>;
  if (record.metadata && typeof record.metadata === 'object' && 'data' in record) {
    found.push(record as temporal.api.common.v1.IPayload);
    return found;
  }
  for (const field of Object.values(record)) payloadsIn(field, found);
  return found;
}

/**
 * What a holder of the payload ring alone reads in the workflow's history: every payload decrypted (nested payloads
 * too: an encrypted payload wraps the original), as text.
 */
async function readableWithPayloadRing(handle: WorkflowHandle): Promise<string[]> {
  const history = await handle.fetchHistory();
  const outer = new AesGcmCodec(TEST_KEY_RING);
  const texts: string[] = [];
  for (const payload of payloadsIn(history.events)) {
    const [opened] = await outer.decode([payload as Payload]);
    texts.push(Buffer.from(opened!.data ?? new Uint8Array()).toString('utf8'));
    for (const value of Object.values(opened!.metadata ?? {})) texts.push(Buffer.from(value).toString('utf8'));
  }
  return texts;
}

function assertNoToken(texts: string[], tokens: string[], what: string): void {
  assert.ok(texts.length > 0, 'the history holds payloads');
  for (const token of tokens) {
    const holder = texts.find((text) => text.includes(token));
    assert.equal(holder, undefined, `${what}: a token is readable with the payload ring alone`);
  }
}

describe('enrolment key: sets operators send never open with the payload ring', () => {
  const env = keeperEnvForSuite({ accessLifetimeMs: 600_000, refreshLifetimeMs: 1_200_000 });

  /** A sandbox company the worker can refresh, and an operator's client (payload ring and enrolment public key). */
  async function operatorOf(label: string, taskQueue: string) {
    const companyId = uniqueCompanyId(label);
    const seeded = await env.sandbox.seedCompany({ companyId });
    env.credentials.set(companyId, credentialsOf(seeded));
    const client = new Client({
      connection: env.client.connection,
      namespace: env.server.namespace,
      dataConverter: OPERATOR,
    });
    return { companyId, seeded, operator: new TokenKeeperClient({ client, taskQueue }) };
  }

  it('an operator enrolment and reseed: no rotation, no leak flag, and no token in any payload the payload ring opens', async () => {
    await withWorker(env, async (taskQueue) => {
      const { companyId, seeded, operator } = await operatorOf('enrol-key', taskQueue);
      const enrolled = await operator.enrol(companyId, seeded.tokens);
      assert.equal(enrolled.status, 'ACTIVE');
      assert.equal(enrolled.tokensArrivedUnsealedAt, undefined, 'an operator enrolment is not an incident');
      assert.equal(enrolled.generation, 0, 'no rotation was needed');
      const handle = env.client.workflow.getHandle(workflowIdFor(companyId));
      assert.equal((await servedToken(handle)).accessToken, seeded.tokens.access_token, 'the keeper holds the set');

      const fresh = await env.sandbox.regenerateTokens(companyId);
      const reseeded = await operator.reseed(companyId, fresh);
      assert.equal(reseeded.tokensArrivedUnsealedAt, undefined, 'an on-call reseed is not an incident');
      await waitFor('the reseeded set proven and held', async () => {
        const status = await handle.query(statusQuery);
        return status.status === 'ACTIVE' && status.reseedUnproven !== true ? status : undefined;
      });
      const held = await servedToken(handle);
      const everyToken = [
        seeded.tokens.access_token!,
        seeded.tokens.refresh_token,
        fresh.access_token!,
        fresh.refresh_token,
        held.accessToken,
        ...env.sandbox.store.requireCompany(companyId).pairs.flatMap((pair) => [pair.accessToken, pair.refreshToken]),
      ];
      assertNoToken(await readableWithPayloadRing(handle), everyToken, 'after an operator enrolment and reseed');
    });
  });

  it('a set sent through the codec server (temporal CLI with --codec-endpoint) reaches history sealed for the workers', async () => {
    const server = await CodecServer.start({
      codec: new KeeperCodec(TEST_KEY_RING, undefined, TEST_ENROLMENT_PUBLIC_KEY),
      authToken: 'cli-token',
      allowedOrigins: ['http://localhost:8233'],
    });
    try {
      await withWorker(env, async (taskQueue) => {
        const companyId = uniqueCompanyId('via-codec');
        const seeded = await env.sandbox.seedCompany({ companyId });
        env.credentials.set(companyId, credentialsOf(seeded));
        // What `temporal workflow start --codec-endpoint` does: plain JSON to /encode, the answer into the start.
        const plain = defaultPayloadConverter.toPayload({ companyId, tokens: seeded.tokens });
        const encoded = await postEncode(server.url, plain);
        const connection = env.client.connection;
        const raw = new Client({ connection, namespace: env.server.namespace });
        await raw.workflowService.startWorkflowExecution({
          namespace: env.server.namespace,
          workflowId: workflowIdFor(companyId),
          workflowType: { name: WORKFLOW_TYPE },
          taskQueue: { name: taskQueue },
          input: { payloads: [encoded] },
          identity: 'temporal-cli',
          requestId: companyId,
        });
        const handle = env.client.workflow.getHandle(workflowIdFor(companyId));
        const status = await waitFor('the keeper to hold the set', async () => {
          const answer = await handle.query(statusQuery);
          return answer.status === 'ACTIVE' ? answer : undefined;
        });
        assert.equal(status.tokensArrivedUnsealedAt, undefined, 'the set was sealed by the codec server');
        assert.equal(status.generation, 0, 'no rotation was needed');
        assert.equal((await servedToken(handle)).accessToken, seeded.tokens.access_token);
        assertNoToken(
          await readableWithPayloadRing(handle),
          [seeded.tokens.access_token!, seeded.tokens.refresh_token],
          'after a start through the codec server',
        );
      });
    } finally {
      await server.stop();
    }
  });

  it('a worker without the enrolment ring refuses a sealed set visibly, naming PLUM_ENROLMENT_KEYS, and loses nothing', async () => {
    const withoutEnrolmentRing = createDataConverter(TEST_KEY_RING, TEST_TOKEN_KEY_RING);
    await withWorker(
      env,
      async (taskQueue) => {
        const { companyId, seeded, operator } = await operatorOf('no-enrol-ring', taskQueue);
        await assert.rejects(operator.enrol(companyId, seeded.tokens), (error: Error) => {
          assert.match(error.message, /PLUM_ENROLMENT_KEYS/);
          assert.ok(!error.message.includes(seeded.tokens.refresh_token), 'no token in the error');
          return true;
        });
        // The keeper still answers (no task failing), and the sandbox set was not spent.
        const handle = env.client.workflow.getHandle(workflowIdFor(companyId));
        const status = await handle.query(statusQuery);
        assert.equal(status.status, 'NEEDS_REAUTH');
        assert.equal(env.sandbox.rotationCount(companyId), 0);
      },
      { dataConverter: withoutEnrolmentRing },
    );
  });
});

async function postEncode(url: string, payload: Payload): Promise<Payload> {
  const toJson = (p: Payload) => ({
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
    ),
    data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
  });
  const response = await fetch(`${url}/encode`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer cli-token' },
    body: JSON.stringify({ payloads: [toJson(payload)] }),
  });
  assert.equal(response.status, 200);
  const body = (await response.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
  const [first] = body.payloads;
  return {
    metadata: Object.fromEntries(Object.entries(first!.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(first!.data, 'base64'),
  };
}
