// R6: after every other experiment, search everything the run left behind for plaintext secrets: raw histories
// (failures included), memos and search attributes, worker logs, CLI output, query failures and what the UI's codec
// server decodes. The payload key was rotated mid-run: every history must still decode. Also: tokens started without
// the codec are rotated at once (defect 7), and a client ahead of the workers on keys is refused clearly (defect 12).
import { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { SectionResult } from '../../bench/lib/report';
import { row } from '../../bench/lib/report';
import { InvalidInputError, TokenKeeperClient } from '../../src/client';
import { AesGcmCodec } from '../../src/codec/aes-gcm-codec';
import { CodecServer } from '../../src/codec-server/server';
import { createDataConverter } from '../../src/codec/data-converter';
import { KeyRing } from '../../src/codec/key-ring';
import { WORKFLOW_TYPE, cachedUserTokenQuery, workflowIdFor } from '../../src/contract';
import { eventually, statusOf } from '../lib/fleet';
import { PLAINTEXT_SECRET, allRuns, historyOf, payloadsIn } from '../lib/histories';
import type { ChaosLab } from '../lib/lab';
import { cliOutputs } from './r5-cli';
import { TooDeepError } from '../../src/codec/token-seal';

const KEY_ID = 'encryption-key-id';

/** Sightings of the deliberately leaked tokens: proof that the scan sees plaintext where there is some. */
let plantedSeen = 0;

/** Plaintext secrets in `text`, the deliberately leaked ones excepted (and counted apart). */
function found(text: string, keys: readonly string[], planted: ReadonlySet<string>): number {
  const all = text.match(PLAINTEXT_SECRET) ?? [];
  const tokens = all.filter((t) => !planted.has(t));
  plantedSeen += all.length - tokens.length;
  return tokens.length + keys.filter((key) => text.includes(key)).length;
}

export async function secretScan(lab: ChaosLab): Promise<SectionResult> {
  await lab.sandbox.setOptions({ rotation: 'strict', accessLifetimeMs: 600_000 });
  // Run alone, R6 rotates the payload key itself, after the workflows below that predate it.
  const rotateHere = lab.keyRotations === 0;
  let worker = await lab.startWorker();

  // Defect 7: a start without the codec puts tokens in history in plaintext; the keeper must kill them at once.
  const [leak] = await lab.seed(['r6-leak']);
  const clear = new Client({ connection: lab.client.connection });
  await clear.workflow.start(WORKFLOW_TYPE, {
    taskQueue: lab.taskQueue,
    workflowId: workflowIdFor('r6-leak'),
    args: [{ companyId: 'r6-leak', tokens: leak!.tokens }],
  });
  const leakRotated = await eventually(async () => {
    const status = await statusOf(lab, 'r6-leak');
    return status.generation >= 1 && status.tokensArrivedUnencryptedAt !== undefined;
  }, 30_000);
  const leakedDead = lab.sandbox.store.requireCompany('r6-leak').pairs[0]!.spentAt !== undefined;
  const planted = new Set([leak!.tokens.access_token, leak!.tokens.refresh_token, ...lab.plantedTokens]);

  if (rotateHere) {
    await worker.stop();
    await lab.rotateCodecKey();
    worker = await lab.startWorker();
  }

  // Defect 12: a client whose active key no worker has yet.
  await lab.enrol(['r6-ahead']);
  const rings = lab.rings();
  const aheadRing = KeyRing.of(
    { ...Object.fromEntries(rings.codec.keyIds.map((id) => [id, rings.codec.key(id)])), ahead: Buffer.alloc(32, 7) },
    'ahead',
  );
  const ahead = new TokenKeeperClient({
    client: new Client({
      connection: lab.client.connection,
      dataConverter: createDataConverter(aheadRing, rings.token),
    }),
    taskQueue: lab.taskQueue,
  });
  const aheadAnswer = await ahead.refreshNow('r6-ahead', 'a key the workers lack').then(
    () => 'accepted',
    (e: unknown) => (e instanceof InvalidInputError ? 'InvalidInputError' : String(e)),
  );
  const aheadActive = (await statusOf(lab, 'r6-ahead')).status === 'ACTIVE';

  // Issue 30, item 2: an operator (payload ring and enrolment public key only) enrols and reseeds; the set must reach
  // history sealed for the workers (the UI codec scan below finds none of its tokens) and need no rotation.
  const [operated] = await lab.seed(['r6-operator']);
  const operator = new TokenKeeperClient({
    client: new Client({
      connection: lab.client.connection,
      dataConverter: createDataConverter(rings.codec, undefined, rings.enrolment.publicKey),
    }),
    taskQueue: lab.taskQueue,
  });
  const enrolled = await operator.enrol('r6-operator', operated!.tokens);
  const reseeded = await operator.reseed('r6-operator', await lab.sandbox.regenerateTokens('r6-operator'));
  const operatorQuiet =
    enrolled.generation === 0 &&
    enrolled.tokensArrivedUnsealedAt === undefined &&
    reseeded.tokensArrivedUnsealedAt === undefined;

  // Query failures a service would see: a company needing re-authorisation, a malformed user-token query.
  await lab.enrol(['r6-reauth']);
  await lab.sandbox.killTokens('r6-reauth', 'password_reset');
  await lab.keeper.forceRefresh('r6-reauth', 'chaos R6');
  await eventually(async () => (await statusOf(lab, 'r6-reauth')).status === 'NEEDS_REAUTH', 30_000);
  const queryFailures: string[] = [];
  lab.keeper.invalidate('r6-reauth');
  await lab.keeper.getAccessToken('r6-reauth').catch((e: Error) => queryFailures.push(e.message));
  await lab.client.workflow
    .getHandle(workflowIdFor('r6-ahead'))
    .query(cachedUserTokenQuery, { email: 42 } as never)
    .catch((e: Error) => queryFailures.push(e.message));
  await lab.retire(['r6-leak', 'r6-ahead', 'r6-reauth', 'r6-operator']);
  await worker.stop();

  const keys = [
    ...rings.codec.keyIds.map((id) => rings.codec.key(id)),
    ...rings.token.keyIds.map((id) => rings.token.key(id)),
  ].map((k) => k.toString('base64'));
  const codec = lab.client.options.loadedDataConverter.payloadCodecs[0]!;
  const uiCodec = await CodecServer.start({ codec: new AesGcmCodec(rings.codec), authToken: null, allowedOrigins: [] });
  const leaks = { history: 0, describe: 0, logs: 0, cli: 0, queryFailures: 0, uiCodec: 0 };
  const keyUse: Record<string, number> = {};
  let runs = 0;
  let undecodable = 0;
  let uiCodecRefused = 0;
  try {
    for (const run of await allRuns(lab)) {
      runs += 1;
      const history = await historyOf(lab, run);
      leaks.history += found(
        Buffer.from(temporal.api.history.v1.History.encode(history).finish()).toString('latin1'),
        keys,
        planted,
      );
      const description = await lab.client.workflowService.describeWorkflowExecution({
        namespace: 'default',
        execution: { workflowId: run.workflowId, runId: run.runId },
      });
      const describeBytes =
        temporal.api.workflowservice.v1.DescribeWorkflowExecutionResponse.encode(description).finish();
      leaks.describe += found(Buffer.from(describeBytes).toString('latin1'), keys, planted);
      const payloads = payloadsIn(history.events);
      for (const payload of payloads) {
        const keyId = payload.metadata?.[KEY_ID];
        if (keyId) keyUse[Buffer.from(keyId).toString()] = (keyUse[Buffer.from(keyId).toString()] ?? 0) + 1;
      }
      // A key missing after the rotation makes a history undecodable; a value R5 nested deeper than any message
      // (refused by every codec on purpose) does not.
      const keyFailures = await Promise.all(
        payloads.map((payload) =>
          codec.decode([payload] as never).then(
            () => false,
            (error: unknown) => !(error instanceof TooDeepError || error instanceof RangeError),
          ),
        ),
      );
      if (keyFailures.some(Boolean)) undecodable += 1;
      const response = await fetch(`${uiCodec.url}/decode`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-namespace': 'default' },
        body: JSON.stringify({
          payloads: payloads.map((p) => ({
            metadata: Object.fromEntries(
              Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
            ),
            data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
          })),
        }),
      });
      // The codec server takes at most 4 MiB a request (R5's large payloads can pass that): nothing decoded, no leak.
      if (!response.ok) uiCodecRefused += 1;
      const decoded = response.ok
        ? ((JSON.parse(await response.text()) as { payloads?: { data?: string }[] }).payloads ?? [])
        : [];
      leaks.uiCodec += found(
        decoded.map((p) => Buffer.from(p.data ?? '', 'base64').toString('utf8')).join('\n'),
        keys,
        planted,
      );
    }
  } finally {
    await uiCodec.stop();
  }
  leaks.logs = found(lab.logs.join(''), keys, planted);
  leaks.cli = found(cliOutputs.join(''), keys, planted);
  leaks.queryFailures = found(queryFailures.join('\n'), keys, planted);
  const total = Object.values(leaks).reduce((a, b) => a + b, 0);
  const keyIds = Object.keys(keyUse).filter((id) => rings.codec.keyIds.includes(id));
  return {
    id: 'R6',
    title: 'R6 secrets in everything the run left behind; the payload key rotated mid-run',
    rows: [
      row(
        'plaintext tokens, client secrets or keys found',
        `${total} (histories ${leaks.history}, memo/search attributes ${leaks.describe}, logs ${leaks.logs}, CLI ${leaks.cli}, query failures ${leaks.queryFailures}, UI codec ${leaks.uiCodec}) in ${runs} runs, ${(lab.logs.join('').length / 1024).toFixed(0)} KiB of logs`,
        { text: '0', met: total === 0 },
      ),
      row('the scan finds the tokens deliberately started in plaintext (self-check)', `${plantedSeen} sightings`, {
        text: '> 0',
        met: plantedSeen > 0,
      }),
      row(
        'histories decodable after the key rotation',
        `${runs - undecodable} of ${runs} (payloads by key: ${Object.entries(keyUse)
          .map(([k, n]) => `${k} ${n}`)
          .join(', ')})`,
        {
          text: 'all, both keys in use',
          met: undecodable === 0 && keyIds.length >= 2,
        },
      ),
      row(
        'an operator enrolment and reseed (payload ring and enrolment public key only)',
        operatorQuiet ? 'sealed for the workers: no rotation, no leak flag' : 'rotated or flagged as a leak',
        { text: 'sealed, no rotation', met: operatorQuiet },
      ),
      row(
        'tokens started without the codec',
        leakRotated && leakedDead ? 'rotated at once, the leaked refresh token spent' : 'not rotated',
        {
          text: 'rotated',
          met: leakRotated && leakedDead,
        },
      ),
      row('a client ahead of the workers on keys', `${aheadAnswer}; keeper ${aheadActive ? 'ACTIVE' : 'not ACTIVE'}`, {
        text: 'refused clearly, nothing lost',
        met: aheadAnswer === 'InvalidInputError' && aheadActive,
      }),
    ],
    figures: {
      leaks,
      plantedSeen,
      runs,
      undecodable,
      uiCodecRefused,
      keyUse,
      leakRotated,
      leakedDead,
      aheadAnswer,
      queryFailures: queryFailures.length,
    },
  };
}
