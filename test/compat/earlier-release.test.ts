// Release 3 replays only what release 3 wrote: a run an earlier release wrote (an unversioned 2.x run, a 1.x run) is
// refused with the release to move through, and what 2.x wrote into a new run (its carried state, its inputs and
// messages) is still accepted, as the vectors frozen from 2.3.0 say.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Worker } from '@temporalio/worker';
import { z } from 'zod';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import {
  MOVE_THROUGH_RELEASE,
  reasonInputSchema,
  refreshNowInputSchema,
  reseedInputSchema,
  userTokenRequestSchema,
  workflowInputSchema,
} from '../../src/contract';
import { firstTaskLacksReleaseMarker } from '../../src/main/earlier-release-run';
import { companyStateSchema, initialState } from '../../src/workflows/state';
import { replaySinks } from '../../src/worker/keeper-metrics';
import { HISTORIES_DIR, recordedWorkflowId } from '../helpers/histories';
import { TEST_DATA_CONVERTER, TEST_WORKER_DATA_CONVERTER, workflowBundle } from '../helpers/keeper-env';

const vectors = JSON.parse(readFileSync(join(__dirname, 'vectors', 'release-2.x.json'), 'utf8')) as {
  workflowInputs: { carried?: unknown }[];
  messages: Record<string, unknown[]>;
  schemas: { carriedState: JsonSchema };
};
interface JsonSchema {
  properties: Record<string, unknown>;
  required?: string[];
}

const MESSAGE_SCHEMAS: Record<string, z.ZodType> = {
  forceRefresh: reasonInputSchema,
  retire: reasonInputSchema,
  refreshNow: refreshNowInputSchema,
  userToken: userTokenRequestSchema,
  reseed: reseedInputSchema,
};

const eventsOf = (path: string) => historyFromJSON(JSON.parse(readFileSync(path, 'utf8'))).events ?? [];

describe('a run an earlier release wrote', () => {
  it('is told from a run of this release by its first workflow task (the demo replaces such a keeper)', () => {
    const earlier = eventsOf(join(__dirname, 'histories', 'release-2.2-unsealed-before-sealing.json'));
    assert.equal(firstTaskLacksReleaseMarker(earlier), true);
    const ours = readdirSync(HISTORIES_DIR).filter((file) => file.endsWith('.json'));
    assert.ok(ours.length >= 10);
    for (const file of ours)
      assert.equal(firstTaskLacksReleaseMarker(eventsOf(join(HISTORIES_DIR, file))), false, file);
    assert.equal(firstTaskLacksReleaseMarker(earlier.slice(0, 3)), false, 'undecided before a task completed');
  });

  it(`is refused by this release's workflow code, naming ${MOVE_THROUGH_RELEASE} as the release to move through`, async () => {
    // Recorded by 2.2 code: a run whose history holds 2.x's patch markers and commands.
    const path = join(__dirname, 'histories', 'release-2.2-unsealed-before-sealing.json');
    const history: unknown = JSON.parse(readFileSync(path, 'utf8'));
    const refusals: string[] = [];
    await assert.rejects(
      Worker.runReplayHistory(
        {
          workflowBundle: await workflowBundle(),
          dataConverter: TEST_WORKER_DATA_CONVERTER,
          sinks: replaySinks((message) => refusals.push(message)),
        },
        history as never,
        await recordedWorkflowId(history, TEST_DATA_CONVERTER),
      ),
      /workflow task failure/,
    );
    // The failure itself is encrypted (the UI shows it through the codec); the worker's log says it in the clear.
    assert.equal(refusals.length, 1);
    assert.match(refusals[0]!, /written by a release before 3\.0/);
    assert.ok(refusals[0]!.includes(`run a ${MOVE_THROUGH_RELEASE} fleet with PLUM_WORKER_VERSIONING on`));
  });
});

describe('what release 2.3.0 wrote and sent (test/compat/vectors/release-2.x.json)', () => {
  it('every workflow input it wrote, carried state included, is a valid input here', () => {
    assert.ok(vectors.workflowInputs.length >= 8);
    for (const input of vectors.workflowInputs) {
      const parsed = workflowInputSchema.safeParse(input);
      assert.ok(parsed.success, JSON.stringify(parsed.error?.issues));
      if (input.carried !== undefined) {
        const carried = companyStateSchema.safeParse(input.carried);
        assert.ok(carried.success, JSON.stringify(carried.error?.issues));
      }
    }
  });

  it('every message argument it sent is accepted here', () => {
    for (const [name, args] of Object.entries(vectors.messages)) {
      const schema = MESSAGE_SCHEMAS[name];
      assert.ok(schema, `no schema for ${name}`);
      for (const arg of args) assert.ok(schema.safeParse(arg).success, `${name} ${JSON.stringify(arg)}`);
    }
  });

  it('reads back what this release carries (a rollback to 2.3): every field it requires, in the same shape', () => {
    const before = vectors.schemas.carriedState;
    const now = z.toJSONSchema(companyStateSchema) as unknown as JsonSchema;
    for (const field of before.required ?? []) {
      assert.ok(now.required?.includes(field), `2.3 requires ${field}: this release must always carry it`);
    }
    for (const [field, shape] of Object.entries(now.properties)) {
      if (field in before.properties) assert.deepEqual(shape, before.properties[field], `${field} changed shape`);
    }
    // A field 2.3 does not know is dropped by its parser (objects are not strict), so only the shapes above matter.
    const fresh = initialState({ companyId: 'compat-rollback' }, 1_800_000_000_000, () => 0.5);
    assert.deepEqual(
      Object.keys(fresh).filter((field) => !(field in before.properties)),
      [],
    );
  });
});
