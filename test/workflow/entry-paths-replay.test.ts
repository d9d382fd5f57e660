// Issue 30, item 1: a keeper started, enrolled, reseeded or continued from an older run while queries arrive must
// replay. A query that lands while the run's first local activity runs can split the first workflow task; a patch
// asked first in the split-off part then does not replay (TMPRL1100), and after a worker restart the token set is
// stuck in a keeper that fails every task. Each path runs many times with queries looping, and every history replays.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { TokenKeeperClient } from '../../src/client';
import { createDataConverter } from '../../src/codec/data-converter';
import type { PlumTokens, StatusResult } from '../../src/contract';
import { WORKFLOW_TYPE, statusQuery, workflowIdFor } from '../../src/contract';
import { replaySinks } from '../../src/worker/keeper-metrics';
import { TEST_KEY_RING, TEST_TOKEN_KEY_RING } from '../helpers/codec';
import { TEST_WORKER_DATA_CONVERTER, keeperEnvForSuite, withWorker, workflowBundle } from '../helpers/keeper-env';
import { credentialsOf, uniqueCompanyId } from '../helpers/sandbox';
import { waitFor } from '../helpers/wait';

/** What the codec server and a client without `PLUM_TOKEN_KEYS` write: payloads encrypted, tokens not sealed. */
const PAYLOAD_RING_ONLY = createDataConverter(TEST_KEY_RING);
const SEALING = createDataConverter(TEST_KEY_RING, TEST_TOKEN_KEY_RING);
const RUNS_PER_PATH = Number(process.env.ENTRY_PATH_RUNS ?? 6);
const QUERY_LOOPS = 3;
const RELEASE_2_VECTORS = join(__dirname, '..', 'compat', 'vectors', 'release-2.x.json');

type Sealing = 'sealed' | 'unsealed';

interface EntryPath {
  name: string;
  sealing: Sealing;
  /** Brings a keeper to life through this path; queries are already looping on its workflow id. */
  enter: Enter;
}

/** The state release 2.3 carried into its next run (test/compat/vectors), made this company's. */
async function olderCarriedInput(companyId: string, tokens: PlumTokens): Promise<unknown> {
  const vectors = JSON.parse(readFileSync(RELEASE_2_VECTORS, 'utf8')) as {
    workflowInputs: { carried?: Record<string, unknown> }[];
  };
  const input = vectors.workflowInputs.find((candidate) => candidate.carried?.status === 'ACTIVE')!;
  const now = Date.now();
  return {
    ...input,
    companyId,
    tokens: { refresh_token: tokens.refresh_token },
    carried: {
      ...input.carried,
      companyId,
      userTokens: [],
      spentRefreshTokens: [],
      refreshRequested: false,
      tokens: {
        accessToken: tokens.access_token,
        refreshToken: tokens.refresh_token,
        tokenType: 'Bearer',
        accessTokenExpiresAt: now + 600_000,
        refreshTokenExpiresAt: now + 1_200_000,
        obtainedAt: now,
      },
    },
  };
}

type Enter = (client: Client, taskQueue: string, companyId: string, tokens: PlumTokens) => Promise<void>;

/** How each path brings a keeper to life; each runs sealed (both rings) and unsealed (the payload ring only). */
const ENTRIES: Record<string, Enter> = {
  // A plain start with the set in the input, as `temporal workflow start` through the codec server sends it.
  start: async (client, taskQueue, companyId, tokens) => {
    await client.workflow.start(WORKFLOW_TYPE, {
      taskQueue,
      workflowId: workflowIdFor(companyId),
      args: [{ companyId, tokens }],
    });
  },
  enrol: async (client, taskQueue, companyId, tokens) => {
    await new TokenKeeperClient({ client, taskQueue }).enrol(companyId, tokens);
  },
  // A start without tokens, then a reseed sent at once: the reseed handler waits for the first local activity.
  reseed: async (client, taskQueue, companyId, tokens) => {
    await client.workflow.start(WORKFLOW_TYPE, {
      taskQueue,
      workflowId: workflowIdFor(companyId),
      args: [{ companyId }],
    });
    await new TokenKeeperClient({ client, taskQueue }).reseed(companyId, tokens);
  },
  'continue-as-new from an older run': async (client, taskQueue, companyId, tokens) => {
    const input = await olderCarriedInput(companyId, tokens);
    await client.workflow.start(WORKFLOW_TYPE, { taskQueue, workflowId: workflowIdFor(companyId), args: [input] });
  },
};

const PATHS: EntryPath[] = Object.entries(ENTRIES).flatMap(([name, enter]) =>
  (['sealed', 'unsealed'] as const).map((sealing) => ({ name, sealing, enter })),
);

/**
 * Loops the `status` query on one workflow id until `stop` is called: bounded by `maxQueries` each, it answers every
 * error (the workflow may not exist yet) by asking again. Returns how many queries were answered.
 */
function loopQueries(handle: WorkflowHandle, maxQueries = 2000): { stop(): Promise<number> } {
  let stopped = false;
  let answered = 0;
  const loops = Array.from({ length: QUERY_LOOPS }, async () => {
    for (let i = 0; i < maxQueries && !stopped; i += 1) {
      try {
        await handle.query(statusQuery);
        answered += 1;
      } catch {
        // not started yet, or between tasks: ask again
      }
    }
  });
  return {
    async stop() {
      stopped = true;
      await Promise.all(loops);
      return answered;
    },
  };
}

/** The keeper holds a live set: ACTIVE, and for an unsealed entry the leaked set already rotated. */
function settled(status: StatusResult, sealing: Sealing): boolean {
  if (status.status !== 'ACTIVE') return false;
  return sealing === 'sealed' || status.generation >= 1;
}

describe('every entry path replays when recorded while queries run', () => {
  const env = keeperEnvForSuite({ accessLifetimeMs: 600_000, refreshLifetimeMs: 1_200_000 });

  it(`${PATHS.length} entry paths × ${RUNS_PER_PATH} runs, each with ${QUERY_LOOPS} query loops: every history replays`, async () => {
    const bundle = await workflowBundle();
    const counts: string[] = [];
    const failures: string[] = [];
    await withWorker(env, async (taskQueue) => {
      for (const path of PATHS) {
        const client = new Client({
          connection: env.client.connection,
          namespace: env.server.namespace,
          dataConverter: path.sealing === 'sealed' ? SEALING : PAYLOAD_RING_ONLY,
        });
        let replayed = 0;
        for (let run = 0; run < RUNS_PER_PATH; run += 1) {
          const companyId = uniqueCompanyId('entry');
          const seeded = await env.sandbox.seedCompany({ companyId });
          env.credentials.set(companyId, credentialsOf(seeded));
          const handle = env.client.workflow.getHandle(workflowIdFor(companyId));
          const queries = loopQueries(handle);
          try {
            await path.enter(client, taskQueue, companyId, seeded.tokens);
            await waitFor(`${path.name} (${path.sealing}) to hold a live set`, async () =>
              settled(await handle.query(statusQuery), path.sealing),
            );
          } finally {
            await queries.stop();
          }
          const status = await handle.query(statusQuery);
          assert.equal(
            status.tokensArrivedUnsealedAt !== undefined,
            path.sealing === 'unsealed',
            `${path.name} (${path.sealing}): the status says whether the set reached history unsealed`,
          );
          try {
            await Worker.runReplayHistory(
              { workflowBundle: bundle, dataConverter: TEST_WORKER_DATA_CONVERTER, sinks: replaySinks() },
              await handle.fetchHistory(),
              handle.workflowId,
            );
            replayed += 1;
          } catch (error) {
            failures.push(`${path.name} (${path.sealing}) run ${run + 1}: ${(error as Error).message.slice(0, 300)}`);
          }
          await handle.terminate('entry-path replay test done');
        }
        counts.push(`${path.name} (${path.sealing}): ${replayed}/${RUNS_PER_PATH} replayed`);
      }
    });
    console.log(`# entry paths recorded while queries ran:\n#   ${counts.join('\n#   ')}`);
    assert.deepEqual(failures, [], 'every recorded history replays');
  });
});
