import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Client } from '@temporalio/client';
import { createDataConverter } from '../../src/codec/data-converter';
import { KeyRing } from '../../src/codec/key-ring';
import { refreshNowUpdate, statusQuery } from '../../src/contract';
import { testKey } from '../helpers/codec';
import { enrol, keeperEnvForSuite, withWorker } from '../helpers/keeper-env';
import { credentialsOf, uniqueCompanyId } from '../helpers/sandbox';
import { servedToken } from '../helpers/queries';

const keyIdsOf = (events: readonly object[]): Set<string> => {
  const ids = new Set<string>();
  const walk = (value: unknown) => {
    if (!value || typeof value !== 'object') return;
    const metadata = (value as { metadata?: Record<string, Uint8Array> }).metadata;
    const id = metadata?.['encryption-key-id'];
    if (id instanceof Uint8Array) ids.add(Buffer.from(id).toString());
    for (const child of Object.values(value)) walk(child);
  };
  events.forEach(walk);
  return ids;
};

describe('payload key rotation on a real workflow', () => {
  const env = keeperEnvForSuite({ accessLifetimeMs: 600_000, refreshLifetimeMs: 1_200_000 });

  it('a history written under key A keeps working after B becomes active; new payloads carry B', async () => {
    const ringA = createDataConverter(KeyRing.of({ a: testKey('rot-a') }, 'a'));
    const ringAB = createDataConverter(KeyRing.of({ a: testKey('rot-a'), b: testKey('rot-b') }, 'b'));
    const ringB = createDataConverter(KeyRing.of({ b: testKey('rot-b') }, 'b'));
    const taskQueue = `rotation-${process.pid}`;
    const companyId = uniqueCompanyId('keys');
    const seeded = await env.sandbox.seedCompany({ companyId });
    env.credentials.set(companyId, credentialsOf(seeded));
    const clientA = new Client({ connection: env.client.connection, dataConverter: ringA });
    const clientAB = new Client({ connection: env.client.connection, dataConverter: ringAB });
    const clientB = new Client({ connection: env.client.connection, dataConverter: ringB });

    const handleA = await withWorker(
      env,
      async () => {
        const { handle } = await enrol(clientA, taskQueue, { companyId, tokens: seeded.tokens });
        await handle.executeUpdate(refreshNowUpdate, { args: [{}] });
        return handle;
      },
      { taskQueue, dataConverter: ringA },
    );
    const eventsUnderA = (await handleA.fetchHistory()).events ?? [];
    assert.deepEqual([...keyIdsOf(eventsUnderA)], ['a']);

    const handleAB = clientAB.workflow.getHandle(handleA.workflowId);
    const rotated = await withWorker(
      env,
      async () => {
        const before = await handleAB.query(statusQuery);
        assert.equal(before.generation, 1, 'the new worker replayed the history written under key A');
        return handleAB.executeUpdate(refreshNowUpdate, { args: [{}] });
      },
      { taskQueue, dataConverter: ringAB },
    );
    const events = (await handleAB.fetchHistory()).events ?? [];
    assert.deepEqual([...keyIdsOf(events.slice(eventsUnderA.length))], ['b'], 'new payloads carry key b');
    await withWorker(env, async () => assert.equal((await servedToken(handleAB)).accessToken, rotated.accessToken), {
      taskQueue,
      dataConverter: ringAB,
    });

    const started = clientB.workflow.getHandle(handleA.workflowId);
    await assert.rejects(
      started.fetchHistory().then(async (history) => {
        const first = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
        await ringB.payloadCodecs![0]!.decode(first);
      }),
      /key id "a", which is not in the key ring \(known: b\)/,
    );
  });
});
