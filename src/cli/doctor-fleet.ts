import type { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { KeeperCodec } from '../codec/keeper-codec';
import type { OperatorKeyRings } from '../config/key-ring-variables';
import { TASK_QUEUE, WORKFLOW_TYPE, companyIdOf } from '../contract';
import { CredentialsFileError, readCredentialsFile } from '../plum/credentials-file';
import type { Check } from './check';
import { firstLine } from './check';

/** A poller whose last poll is older than this has gone (the server lists pollers for minutes after they stop). */
export const POLLER_GONE_AFTER_MS = 60_000;
/** How many events of a keeper's history the key check reads for payloads and sealed tokens. */
const EVENTS_READ = 200;
const RUNNING = `WorkflowType = '${WORKFLOW_TYPE}' AND ExecutionStatus = 'Running'`;

/** Workers polling the keepers' task queue now: pollers are counted by their last poll, not by their listing. */
export async function workersPolling(client: Client, namespace: string, now = Date.now()): Promise<Check> {
  const described = await client.workflowService.describeTaskQueue({
    namespace,
    taskQueue: { name: TASK_QUEUE },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  });
  const lastPolls = (described.pollers ?? []).map((p) => Number(p.lastAccessTime?.seconds ?? 0) * 1000);
  const live = lastPolls.filter((at) => now - at < POLLER_GONE_AFTER_MS).length;
  if (live > 0)
    return { name: 'workers', outcome: 'ok', detail: `${live} worker(s) polled ${TASK_QUEUE} in the last minute` };
  const newest = Math.max(0, ...lastPolls);
  const seen = newest > 0 ? `; the last poll was ${Math.round((now - newest) / 1000)} s ago` : '';
  return {
    name: 'workers',
    outcome: 'problem',
    detail: `no worker polls ${TASK_QUEUE}: no token is refreshed and no query is answered${seen}`,
    fix: 'start the workers (npm run start:prod, or docker compose up -d worker) with the same TEMPORAL_ADDRESS and namespace, then run plum-keeper doctor again',
  };
}

/** Every payload in `value` (a history event): objects with encoding metadata and data. */
function payloadsIn(value: unknown, found: Payload[] = [], depth = 0): Payload[] {
  if (value === null || typeof value !== 'object' || depth > 12) return found;
  const candidate = value as { metadata?: Record<string, unknown>; data?: unknown };
  if (candidate.metadata?.encoding instanceof Uint8Array && candidate.data instanceof Uint8Array) {
    found.push(candidate as Payload);
    return found;
  }
  for (const child of Object.values(value)) payloadsIn(child, found, depth + 1);
  return found;
}

/**
 * Proves the CLI's rings read what the workers wrote, from a running keeper's history (no worker needed): the payload
 * ring decrypts its payloads, and the token ring, where this CLI holds one, opens its sealed tokens.
 */
export async function keyRingsRead(client: Client, rings: OperatorKeyRings): Promise<Check[]> {
  let workflowId: string | undefined;
  for await (const execution of client.workflow.list({ query: RUNNING, pageSize: 1 })) {
    workflowId = execution.workflowId;
    break;
  }
  const tokenCheck = (outcome: Check['outcome'], detail: string, fix?: string): Check => ({
    name: 'token keys',
    outcome,
    detail,
    ...(fix && { fix }),
  });
  const noTokenRing = tokenCheck(
    'skipped',
    'PLUM_TOKEN_KEYS is not set here: fine for every command but token and user-token',
  );
  if (!workflowId) {
    return [
      { name: 'codec keys', outcome: 'skipped', detail: 'the keys parse; no running keeper to read yet' },
      ...(rings.tokens ? [] : [noTokenRing]),
    ];
  }
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const payloads = (history.events ?? []).slice(0, EVENTS_READ).flatMap((event) => payloadsIn(event));
  let decoded: Payload[];
  try {
    decoded = await new KeeperCodec(rings.payload).decode(payloads);
  } catch (error) {
    return [
      {
        name: 'codec keys',
        outcome: 'problem',
        detail: `cannot decrypt ${workflowId}: ${firstLine(error)}`,
        fix: 'give the CLI every key id in the workers’ PLUM_CODEC_KEYS (the workers keep old ids to read old histories)',
      },
    ];
  }
  const codec: Check = {
    name: 'codec keys',
    outcome: 'ok',
    detail: `decrypted ${payloads.length} payload(s) of ${workflowId}`,
  };
  if (!rings.tokens) return [codec, noTokenRing];
  const sealed = payloads.filter((_, i) => Buffer.from(decoded[i]?.data ?? []).includes('sealed:v1:'));
  if (sealed.length === 0) return [codec, tokenCheck('skipped', `no sealed token in the history of ${workflowId} yet`)];
  try {
    await new KeeperCodec(rings.payload, rings.tokens).decode(sealed);
    return [codec, tokenCheck('ok', `opened the sealed tokens of ${sealed.length} payload(s) of ${workflowId}`)];
  } catch (error) {
    return [
      codec,
      tokenCheck(
        'problem',
        `cannot open the tokens of ${workflowId}: ${firstLine(error)}`,
        'give the CLI the workers’ PLUM_TOKEN_KEYS, every key id included, or unset it here (operator commands do not need it)',
      ),
    ];
  }
}

/**
 * The credentials file the workers read, where this CLI is given it: it exists and parses, and every enrolled company
 * has a client_id/client_secret in it (or the default pair covers it).
 */
export async function credentialsFile(
  client: Client,
  file: string | undefined,
  defaultCredentials: boolean,
): Promise<Check> {
  const name = 'credentials file';
  if (!file) {
    return {
      name,
      outcome: 'skipped',
      detail: 'PLUM_CREDENTIALS_FILE is not set here; the workers check theirs when they start',
    };
  }
  let entries: Map<string, unknown>;
  try {
    entries = readCredentialsFile(file);
  } catch (error) {
    if (!(error instanceof CredentialsFileError)) throw error;
    return { name, outcome: 'problem', detail: error.message, fix: `fix ${file}, then restart the workers` };
  }
  if (defaultCredentials)
    return { name, outcome: 'ok', detail: `${file}: ${entries.size} company(ies); PLUM_CLIENT_ID covers the rest` };
  const missing: string[] = [];
  for await (const execution of client.workflow.list({ query: RUNNING })) {
    const companyId = companyIdOf(execution.workflowId);
    if (companyId && !entries.has(companyId)) missing.push(companyId);
    if (missing.length >= 20) break;
  }
  if (missing.length === 0) return { name, outcome: 'ok', detail: `${file}: every enrolled company has credentials` };
  return {
    name,
    outcome: 'problem',
    detail: `${file} has no "client_id"/"client_secret" for enrolled ${missing.length >= 20 ? 'companies, among them' : 'company(ies)'}: ${missing.join(', ')}`,
    fix: `add each to ${file} as {"<companyId>": {"client_id": "…", "client_secret": "…"}}; the workers re-read it`,
  };
}
