import assert from 'node:assert/strict';
import { replaySinks } from '../src/worker/keeper-metrics';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Worker } from '@temporalio/worker';
import { HISTORIES_DIR, recordedWorkflowId } from './helpers/histories';
import { TEST_DATA_CONVERTER, TEST_WORKER_DATA_CONVERTER, workflowBundle } from './helpers/keeper-env';

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
        { workflowBundle: await workflowBundle(), dataConverter: TEST_WORKER_DATA_CONVERTER, sinks: replaySinks() },
        history,
        await recordedWorkflowId(history, TEST_DATA_CONVERTER),
      );
    });
  }
});
