// R5, entry paths under queries (issue 30, items 1 and 2): keepers started and enrolled with sets sent by a client
// holding only the payload ring (unsealed), or the payload ring and the enrolment public key (an operator), while
// other tasks loop the `status` query. Every history must replay on the spot, an operator's set must need no
// rotation, and an unsealed one must be rotated.
import { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { TokenKeeperClient } from '../../src/client';
import { createDataConverter, workerDataConverter } from '../../src/codec/data-converter';
import { WORKFLOW_TYPE, statusQuery, workflowIdFor } from '../../src/contract';
import { replaySinks } from '../../src/worker/keeper-metrics';
import { eventually, statusOf } from '../lib/fleet';
import type { ChaosLab } from '../lib/lab';
import { Tally } from '../lib/tally';

type Entry = 'start, unsealed' | 'enrol, unsealed' | 'enrol, sealed for the workers';
const ENTRIES: readonly Entry[] = ['start, unsealed', 'enrol, unsealed', 'enrol, sealed for the workers'];

/** Loops `status` on one keeper from three tasks until stopped (each bounded), answering errors by asking again. */
function queryLoops(lab: ChaosLab, companyId: string): () => Promise<void> {
  let stopped = false;
  const handle = lab.client.workflow.getHandle(workflowIdFor(companyId));
  const loops = Array.from({ length: 3 }, async () => {
    for (let i = 0; i < 2000 && !stopped; i += 1) await handle.query(statusQuery).catch(() => undefined);
  });
  return async () => {
    stopped = true;
    await Promise.all(loops);
  };
}

export async function entriesUnderQueries(lab: ChaosLab, runsPerEntry: number): Promise<Tally> {
  const tally = new Tally('entry paths under queries (replayed)');
  const rings = lab.rings();
  const unsealed = new Client({ connection: lab.client.connection, dataConverter: createDataConverter(rings.codec) });
  const operator = new Client({
    connection: lab.client.connection,
    dataConverter: createDataConverter(rings.codec, undefined, rings.enrolment.publicKey),
  });
  const replayOptions = {
    workflowBundle: { codePath: lab.bundlePath },
    dataConverter: workerDataConverter(createDataConverter(rings.codec, rings.token, rings.enrolment)),
    sinks: replaySinks(),
  };
  let index = 0;
  for (const entry of ENTRIES) {
    for (let run = 0; run < runsPerEntry; run += 1) {
      const companyId = `r5-entry-${index++}`;
      const [company] = await lab.seed([companyId]);
      // Sent readable on purpose (the keeper rotates them at once): R6's scan counts them apart.
      if (entry !== 'enrol, sealed for the workers')
        for (const token of [company!.tokens.access_token, company!.tokens.refresh_token])
          if (token) lab.plantedTokens.add(token);
      const stop = queryLoops(lab, companyId);
      let problem: string | undefined;
      try {
        if (entry === 'start, unsealed') {
          await unsealed.workflow.start(WORKFLOW_TYPE, {
            taskQueue: lab.taskQueue,
            workflowId: workflowIdFor(companyId),
            args: [{ companyId, tokens: company!.tokens }],
          });
        } else {
          const client = entry === 'enrol, unsealed' ? unsealed : operator;
          await new TokenKeeperClient({ client, taskQueue: lab.taskQueue }).enrol(companyId, company!.tokens);
        }
        const sealed = entry === 'enrol, sealed for the workers';
        const settled = await eventually(async () => {
          const status = await statusOf(lab, companyId);
          return status.status === 'ACTIVE' && (sealed || status.generation >= 1);
        }, 30_000);
        const status = await statusOf(lab, companyId);
        if (!settled) problem = `${entry}: not ACTIVE${sealed ? '' : ' and rotated'} within 30 s`;
        else if (sealed && (status.generation !== 0 || status.tokensArrivedUnsealedAt !== undefined))
          problem = `${entry}: rotated or flagged as a leak`;
        else if (!sealed && status.tokensArrivedUnsealedAt === undefined) problem = `${entry}: leak not flagged`;
      } catch (error) {
        problem = `${entry}: ${(error as Error).message}`;
      } finally {
        await stop();
      }
      if (problem === undefined) {
        const handle = lab.client.workflow.getHandle(workflowIdFor(companyId));
        try {
          await Worker.runReplayHistory(replayOptions, await handle.fetchHistory(), handle.workflowId);
        } catch (error) {
          problem = `${entry}: does not replay: ${(error as Error).message.split('\n')[0]?.slice(0, 160)}`;
        }
      }
      tally.record(problem);
    }
  }
  await lab.retire(Array.from({ length: index }, (_, i) => `r5-entry-${i}`));
  return tally;
}
