// R5, deep and large payloads (issue 22, defect 1): every message kind (signal, update, query, start) sent with
// values nested far past what the codec walks, wide, or large, by three senders: a client without the codec (as
// `temporal workflow signal --input` without --codec-endpoint), the codec server's encoding (payload ring only) and
// the keeper's own client. No payload may fail a workflow task; each must end in a clear answer or be ignored loudly.
import { Client } from '@temporalio/client';
import { RawValue } from '@temporalio/common';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { createDataConverter } from '../../src/codec/data-converter';
import { WORKFLOW_TYPE, statusQuery, workflowIdFor } from '../../src/contract';
import type { ChaosLab } from '../lib/lab';
import { Tally, unclearMessage } from '../lib/tally';

type Sender = 'no codec' | 'codec server' | 'keeper client';
type Shape = { kind: 'deep array' | 'deep object' | 'deep under a token field'; depth: number } | WideOrLarge;
type WideOrLarge = { kind: 'wide'; keys: number } | { kind: 'large'; bytes: number };

/** Every message a keeper answers, by how it is sent. */
interface Message {
  kind: 'signal' | 'update' | 'query' | 'start';
  name: string;
}
const MESSAGES: readonly Message[] = [
  { kind: 'signal', name: 'forceRefresh' },
  { kind: 'signal', name: 'retire' },
  { kind: 'signal', name: 'wake' },
  { kind: 'update', name: 'refreshNow' },
  { kind: 'update', name: 'userToken' },
  { kind: 'update', name: 'reseed' },
  { kind: 'query', name: 'status' },
  { kind: 'query', name: 'accessToken' },
  { kind: 'query', name: 'cachedUserToken' },
  { kind: 'query', name: 'keeperVersion' },
  { kind: 'start', name: WORKFLOW_TYPE },
];

/**
 * Large payloads stay well under the server's 2 MiB blob limit, but each one a keeper ignores still lands in its
 * history, so they are few and their total is bounded (a signal flood of large payloads grows a history toward the
 * server's size limit whatever the workflow does; docs/design.md says so).
 */
const LARGEST_BYTES = 1_500_000;

/** How long one case may take before it counts as hung. */
const CASE_DEADLINE_MS = 30_000;

const shapes: fc.Arbitrary<Shape> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ kind: fc.constant('deep array' as const), depth: fc.integer({ min: 65, max: 100_000 }) }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('deep object' as const), depth: fc.integer({ min: 65, max: 100_000 }) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('deep under a token field' as const),
      depth: fc.integer({ min: 65, max: 50_000 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('wide' as const), keys: fc.integer({ min: 1000, max: 20_000 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('large' as const),
      bytes: fc.integer({ min: 100_000, max: LARGEST_BYTES }),
    }),
  },
);

/**
 * The value as JSON text, built as text: the sender's own JSON serialiser overflows its stack a few thousand levels
 * down, while the server accepts any depth (`temporal workflow signal --input` sends the text as it is).
 */
function jsonOf(shape: Shape): string {
  switch (shape.kind) {
    case 'deep array':
      return `${'['.repeat(shape.depth)}${']'.repeat(shape.depth)}`;
    case 'deep object':
      return `${'{"a":'.repeat(shape.depth)}{}${'}'.repeat(shape.depth)}`;
    case 'deep under a token field': {
      const deep = `${'{"a":'.repeat(shape.depth)}{}${'}'.repeat(shape.depth)}`;
      return `{"accessToken":${deep},"refreshToken":{"nested":${deep}}}`;
    }
    case 'wide':
      return JSON.stringify(Object.fromEntries(Array.from({ length: shape.keys }, (_, i) => [`k${i}`, i])));
    case 'large':
      return JSON.stringify('x'.repeat(shape.bytes));
  }
}

/** The argument of message `name` as JSON text, with `value` where its fields go (or as the whole argument). */
function argumentJson(name: string, value: string, whole: boolean, companyId: string): string {
  if (whole) return value;
  if (name === 'userToken' || name === 'cachedUserToken') return `{"email":${value}}`;
  if (name === 'reseed') return `{"tokens":{"refresh_token":${value}}}`;
  if (name === WORKFLOW_TYPE)
    return `{"companyId":${JSON.stringify(companyId)},"tokens":{"refresh_token":"r","access_token":${value}}}`;
  return `{"reason":${value}}`;
}

/** A JSON payload sent as it is: it bypasses the sender's payload converter, and the sender's codec still applies. */
const rawJson = (text: string) =>
  RawValue.fromPayload({
    metadata: { encoding: new TextEncoder().encode('json/plain') },
    data: new TextEncoder().encode(text),
  });

const describe = (shape: Shape) =>
  shape.kind === 'wide'
    ? `wide (${shape.keys} keys)`
    : shape.kind === 'large'
      ? `large (${shape.bytes} B)`
      : `${shape.kind} (${shape.depth})`;

/**
 * Sends each sampled case to the live keeper (starts go to a new company id each) and records whether the outcome was
 * a clear answer. The workflow-task failures of the live keeper and the started ones are counted by R5 afterwards.
 */
export async function fuzzPayloads(
  lab: ChaosLab,
  live: string,
  sample: <T>(a: fc.Arbitrary<T>) => T[],
): Promise<Tally> {
  const tally = new Tally('deep and large payloads on every message');
  const { codec } = lab.rings();
  const senders: Record<Sender, Client> = {
    'no codec': new Client({ connection: lab.client.connection }),
    'codec server': new Client({ connection: lab.client.connection, dataConverter: createDataConverter(codec) }),
    'keeper client': lab.client,
  };
  const cases = sample(
    fc.record({
      message: fc.constantFrom(...MESSAGES),
      shape: shapes,
      sender: fc.constantFrom<Sender>('no codec', 'codec server', 'keeper client'),
      whole: fc.boolean(),
    }),
  );
  let started = 0;
  for (const { message, shape, sender, whole } of cases) {
    const { kind, name } = message;
    // A retire with a readable (if odd) reason retires: only the undecodable shapes go to the live keeper's retire.
    if (name === 'retire' && (shape.kind === 'wide' || shape.kind === 'large')) continue;
    const client = senders[sender];
    const companyId = `r5-payload-start-${started}`;
    const argument = rawJson(argumentJson(name, jsonOf(shape), whole, companyId));
    const handle = client.workflow.getHandle(workflowIdFor(live));
    const send = async (): Promise<string | undefined> => {
      try {
        if (kind === 'signal') return void (await handle.signal(name, argument));
        if (kind === 'query') return void (await handle.query(name, argument));
        if (kind === 'update') {
          await handle.executeUpdate(name, { args: [argument] });
          return 'update accepted';
        }
        started += 1;
        const run = await client.workflow.start(name, {
          taskQueue: lab.taskQueue,
          workflowId: workflowIdFor(companyId),
          args: [argument],
        });
        const ended = await Promise.race([
          run.result().then(() => 'completed'),
          new Promise<string>((resolve) => setTimeout(() => resolve('running'), 10_000)),
        ]);
        if (ended === 'running') await run.terminate('chaos R5: a payload start still running');
        return `start ${ended}`;
      } catch (error) {
        // The keeper answered, encrypted: a sender without the codec cannot read any answer, by design.
        if (sender === 'no codec' && String((error as Error).message).includes('binary/encrypted')) return undefined;
        return unclearMessage(
          error instanceof Error && error.cause instanceof Error ? error.cause : error,
          lab.secrets(),
        );
      }
    };
    // Each case has its own deadline, so a hung call is a figure rather than a stalled suite.
    const problem = await Promise.race([
      send(),
      sleep(CASE_DEADLINE_MS).then(() => `no answer within ${CASE_DEADLINE_MS / 1000} s`),
    ]);
    tally.record(problem && `${sender}, ${kind} ${name}, ${describe(shape)}: ${problem}`);
  }
  // The live keeper still answers after all of it (task failures and state are checked by R5 itself).
  await lab.client.workflow.getHandle(workflowIdFor(live)).query(statusQuery);
  return tally;
}
