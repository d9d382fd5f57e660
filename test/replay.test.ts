import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { defaultPayloadConverter } from '@temporalio/common';
import { workflowIdFor } from '../src/contract';
import { HISTORIES_DIR } from './helpers/histories';
import { TEST_DATA_CONVERTER, workflowBundle } from './helpers/keeper-env';

/** The workflow id a recorded history ran under, from the company id in its (encrypted) start input. */
async function recordedWorkflowId(history: unknown): Promise<string> {
  const events = (
    history as { events?: { workflowExecutionStartedEventAttributes?: { input?: { payloads?: unknown[] } } }[] }
  ).events;
  const payloads = events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
  const payload = temporal.api.common.v1.Payload.fromObject(payloads[0] as object);
  const [decoded] = await TEST_DATA_CONVERTER.payloadCodecs![0]!.decode([payload]);
  const input = defaultPayloadConverter.fromPayload<{ companyId: string }>(decoded!);
  return workflowIdFor(input.companyId);
}

const files = readdirSync(HISTORIES_DIR)
  .filter((name) => name.endsWith('.json'))
  .sort();

describe('replay of recorded histories (RECORD_HISTORIES=1 npm test re-records them)', () => {
  it('has recorded histories to replay', () => {
    assert.ok(files.length >= 10, `only ${files.length} histories under test/histories`);
  });

  for (const file of files) {
    it(`replays ${file} without a determinism error`, async () => {
      const history: unknown = JSON.parse(readFileSync(join(HISTORIES_DIR, file), 'utf8'));
      // The workflow checks that it runs under its company's id, so replay under the id it was recorded with.
      await Worker.runReplayHistory(
        { workflowBundle: await workflowBundle(), dataConverter: TEST_DATA_CONVERTER },
        history,
        await recordedWorkflowId(history),
      );
    });
  }
});
