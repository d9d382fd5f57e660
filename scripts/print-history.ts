// Prints a recorded history decoded with the test rings, one event per line: what a reviewer reads instead of the
// encrypted JSON. Tokens are shown by length only. Usage: npm run history -- <name or path>.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import type { Payload } from '@temporalio/common';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { createDataConverter } from '../src/codec/data-converter';
import { TEST_ENROLMENT_KEYS, TEST_KEY_RING, TEST_TOKEN_KEY_RING } from '../test/helpers/codec';

const HISTORY_DIRS = [join(__dirname, '..', 'test', 'histories'), join(__dirname, '..', 'test', 'compat', 'histories')];
const codec = createDataConverter(TEST_KEY_RING, TEST_TOKEN_KEY_RING, TEST_ENROLMENT_KEYS).payloadCodecs![0]!;

function historyPath(name: string): string {
  if (existsSync(name)) return name;
  for (const dir of HISTORY_DIRS) {
    const path = join(dir, name.endsWith('.json') ? name : `${name}.json`);
    if (existsSync(path)) return path;
  }
  const known = HISTORY_DIRS.flatMap((dir) => (existsSync(dir) ? readdirSync(dir) : []));
  throw new Error(`no recorded history ${name}; known: ${known.map((file) => file.replace(/\.json$/, '')).join(', ')}`);
}

const isPayload = (value: object): value is Payload => 'metadata' in value && ('data' in value || 'metadata' in value);

async function decodePayload(raw: object): Promise<unknown> {
  const payload = temporal.api.common.v1.Payload.fromObject(raw);
  try {
    const [decoded] = await codec.decode([payload]);
    return hideTokens(defaultPayloadConverter.fromPayload(decoded!));
  } catch (error) {
    return `<undecodable: ${(error as Error).message}>`;
  }
}

/** Token values by length: a printed history is safe to paste into a review. */
function hideTokens(value: unknown, key = ''): unknown {
  if (typeof value === 'string' && /token$/i.test(key) && !/^tokenType$/i.test(key)) {
    return `<${value.length} chars>`;
  }
  if (Array.isArray(value)) return value.map((item) => hideTokens(item));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, hideTokens(v, k)]));
  }
  return value;
}

async function decodeAll(value: unknown): Promise<unknown> {
  if (Array.isArray(value)) return Promise.all(value.map(decodeAll));
  if (!value || typeof value !== 'object') return value;
  if (isPayload(value)) return decodePayload(value);
  const entries = await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await decodeAll(v)] as const));
  return Object.fromEntries(entries);
}

async function main(): Promise<void> {
  const program = new Command('history')
    .description('Print a recorded history (test/histories) decoded with the test rings, one event per line')
    .argument('<history>', 'a name under test/histories or test/compat/histories, or a path')
    .parse();
  const [name] = program.args;
  const history = JSON.parse(readFileSync(historyPath(name!), 'utf8')) as { events: Record<string, unknown>[] };
  for (const event of history.events) {
    const { eventId, eventType, eventTime: _time, taskId: _task, workerMayIgnore: _ignore, ...rest } = event;
    const attributes = Object.values(rest).find((value) => value && typeof value === 'object');
    const type = String(eventType).replace(/^EVENT_TYPE_/, '');
    console.log(`${String(eventId).padStart(4)} ${type} ${JSON.stringify(await decodeAll(attributes ?? {}))}`);
  }
}

// Piped into `head` or a pager that quits: stop quietly.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

main().catch((error: unknown) => {
  console.error(`history: ${(error as Error).message}`);
  process.exitCode = 1;
});
