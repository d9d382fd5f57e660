// Issue 22, defect 1: one deeply nested signal (`temporal workflow signal --input '{"reason":[[[…]]]}'`, no keys
// needed) overflowed the stack of the codec's recursive token walk on the worker and failed every workflow task.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { KeeperCodec } from '../../src/codec/keeper-codec';
import { MAX_WALK_DEPTH } from '../../src/codec/token-seal';
import {
  UNDECODABLE_PAYLOAD,
  cachedUserTokenQuery,
  forceRefreshSignal,
  refreshNowUpdate,
  statusQuery,
} from '../../src/contract';
import { TEST_KEY_RING, TEST_TOKEN_KEY_RING } from '../helpers/codec';
import { enrolSandboxCompany, keeperEnvForSuite, withWorker } from '../helpers/keeper-env';
import { waitFor } from '../helpers/wait';

const nested = (depth: number): unknown => {
  let value: unknown = 'x';
  for (let i = 0; i < depth; i++) value = [value];
  return value;
};

const jsonPayload = (text: string): Payload => ({
  metadata: { encoding: new TextEncoder().encode('json/plain') },
  data: new TextEncoder().encode(text),
});

/** `{"reason":[[…"x"…]]}` as text: JSON.stringify itself cannot write the deepest ones. */
const deepReason = (depth: number) => `{"reason":${'['.repeat(depth)}"x"${']'.repeat(depth)}}`;

describe('no payload, however shaped, fails a workflow task', () => {
  const env = keeperEnvForSuite({ accessLifetimeMs: 600_000, refreshLifetimeMs: 1_200_000 });

  it('the worker codec turns a value nested too deep into the refused-input marker', async () => {
    const codec = new KeeperCodec(TEST_KEY_RING, TEST_TOKEN_KEY_RING).forWorker();
    for (const depth of [3000, 1_000_000]) {
      const [decoded] = await codec.decode([jsonPayload(deepReason(depth))]);
      const value = JSON.parse(new TextDecoder().decode(decoded!.data)) as Record<string, { problem?: string }>;
      assert.ok(value[UNDECODABLE_PAYLOAD]?.problem, `${depth} levels: refused with a reason`);
    }
    const [decoded] = await codec.decode([jsonPayload(deepReason(3000))]);
    assert.match(new TextDecoder().decode(decoded!.data), new RegExp(`deeper than ${MAX_WALK_DEPTH} levels`));
    const [shallow] = await codec.decode([jsonPayload(deepReason(MAX_WALK_DEPTH - 2))]);
    assert.ok(!new TextDecoder().decode(shallow!.data).includes(UNDECODABLE_PAYLOAD), 'a shallow value passes');
  });

  it('a keeper sent a 3,000-level signal without the codec keeps answering and rotating', async () => {
    await withWorker(env, async (taskQueue) => {
      const { handle } = await enrolSandboxCompany(env, taskQueue);
      // As `temporal workflow signal` sends it without --codec-endpoint: plain JSON, no keys needed.
      const clear = new Client({ connection: env.client.connection });
      await clear.workflow
        .getHandle(handle.workflowId)
        .signal(forceRefreshSignal, { reason: nested(3000) } as unknown as { reason: string });
      const refused = await waitFor('the signal refused visibly', async () => {
        const status = await handle.query(statusQuery);
        return status.lastError?.includes('was refused') ? status : undefined;
      });
      assert.match(refused.lastError!, /forceRefresh signal was refused: .*deeper than 64 levels/);
      const rotated = await handle.executeUpdate(refreshNowUpdate, { args: [{ reason: 'after the deep signal' }] });
      assert.ok(rotated.expiresAt > Date.now());
      const history = await handle.fetchHistory();
      assert.equal(
        (history.events ?? []).filter((e) => e.workflowTaskFailedEventAttributes).length,
        0,
        'no workflow task failed',
      );
    });
  });

  it('a query with thousands of bad keys is answered, briefly (found by the fault suite, R5)', async () => {
    await withWorker(env, async (taskQueue) => {
      const { handle } = await enrolSandboxCompany(env, taskQueue);
      // The whole refusal used to name every key: a 78 KB query failure that never reached its caller, which held
      // the workflow's next tasks until the query timed out.
      const wide = Object.fromEntries(Array.from({ length: 8875 }, (_, i) => [`k${i}`, i]));
      const refused = await handle.query(cachedUserTokenQuery, wide as never).then(
        () => undefined,
        (error: unknown) => error as Error,
      );
      assert.match(String(refused?.message), /invalid cachedUserToken query: input: Unrecognized keys/);
      assert.ok(refused!.message.length < 1500, `a short answer (${refused!.message.length} characters)`);
      const rotated = await handle.executeUpdate(refreshNowUpdate, { args: [{ reason: 'after the wide query' }] });
      assert.ok(rotated.expiresAt > Date.now());
    });
  });
});
