import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { defaultPayloadConverter } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import { workflowIdFor } from '../../src/contract';

export const HISTORIES_DIR = join(__dirname, '..', 'histories');

/**
 * With RECORD_HISTORIES=1 (every history) or RECORD_HISTORIES=name,name (only those), saves the workflow's history
 * (proto JSON, as `temporal workflow show --output json` prints it, one event per line) for the replay test: one
 * history per behaviour. `npm run history -- <name>` prints one decoded.
 */
export async function recordHistory(handle: WorkflowHandle, name: string, runId?: string): Promise<void> {
  const wanted = process.env.RECORD_HISTORIES;
  if (!wanted || (wanted !== '1' && !wanted.split(',').includes(name))) return;
  mkdirSync(HISTORIES_DIR, { recursive: true });
  writeFileSync(join(HISTORIES_DIR, `${name}.json`), await historyJson(handle, runId));
}

/**
 * The history as JSON, through the SDK's own protos: the CLI v1.5.1 predates fields replay depends on (the
 * `targetWorkerDeploymentVersionChanged` of Worker Versioning) and drops them from `temporal workflow show`.
 */
async function historyJson(handle: WorkflowHandle, runId: string | undefined): Promise<string> {
  const history = await (runId ? handle.client.getHandle(handle.workflowId, runId) : handle).fetchHistory();
  return compactHistoryJson(JSON.parse(historyToJSON(history)) as { events: unknown[] });
}

/** One event per line: a re-recorded history diffs event by event, and the file stays a tenth of pretty JSON. */
export function compactHistoryJson(history: { events: unknown[] }): string {
  return `{"events":[\n${history.events.map((event) => JSON.stringify(event)).join(',\n')}\n]}\n`;
}

/** The workflow id a recorded history ran under, from the company id in its (encrypted) start input. */
export async function recordedWorkflowId(history: unknown, dataConverter: DataConverter): Promise<string> {
  const events = (
    history as { events?: { workflowExecutionStartedEventAttributes?: { input?: { payloads?: unknown[] } } }[] }
  ).events;
  const payloads = events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
  const payload = temporal.api.common.v1.Payload.fromObject(payloads[0] as object);
  const [decoded] = await dataConverter.payloadCodecs![0]!.decode([payload]);
  const input = defaultPayloadConverter.fromPayload<{ companyId: string }>(decoded!);
  return workflowIdFor(input.companyId);
}
