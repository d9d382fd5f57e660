import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Connection, WorkflowHandle } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { workflowIdFor } from '../../src/contract';
import { testCliPath } from './temporal';

export const HISTORIES_DIR = join(__dirname, '..', 'histories');

/**
 * With RECORD_HISTORIES=1 (every history) or RECORD_HISTORIES=name,name (only those), saves the workflow's history
 * (as `temporal workflow show --output json` prints it) for the replay test. Naming them keeps the histories
 * recorded by older code, which guard the old paths. A `…-from-start` history is the same path recorded after every
 * patch came to be decided at the start of a run (`PATCHES.allAboveFromStart`); the one without keeps the patch-by-patch
 * path replaying.
 */
export async function recordHistory(handle: WorkflowHandle, name: string, runId?: string): Promise<void> {
  const wanted = process.env.RECORD_HISTORIES;
  if (!wanted || (wanted !== '1' && !wanted.split(',').includes(name))) return;
  const address = (handle.client.connection as Connection).options.address;
  const args = ['workflow', 'show', '--address', address, '--workflow-id', handle.workflowId, '--output', 'json'];
  if (runId) args.push('--run-id', runId);
  const { stdout } = await promisify(execFile)(await testCliPath(), args, { maxBuffer: 256 * 1024 * 1024 });
  mkdirSync(HISTORIES_DIR, { recursive: true });
  writeFileSync(join(HISTORIES_DIR, `${name}.json`), stdout);
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
