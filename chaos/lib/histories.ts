import type { temporal } from '@temporalio/proto';
import type { ChaosLab } from './lab';

export interface Run {
  workflowId: string;
  runId: string;
}

/** Every run of every workflow the lab's server holds, whatever its state. */
export async function allRuns(lab: ChaosLab): Promise<Run[]> {
  const runs: Run[] = [];
  for await (const execution of lab.client.workflow.list())
    runs.push({ workflowId: execution.workflowId, runId: execution.runId });
  return runs;
}

export function historyOf(lab: ChaosLab, run: Run): Promise<temporal.api.history.v1.IHistory> {
  return lab.client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
}

/** Every payload (`{metadata, data}`) anywhere inside a history or a description. */
export function payloadsIn(value: unknown): temporal.api.common.v1.IPayload[] {
  const found: temporal.api.common.v1.IPayload[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object' && !ArrayBuffer.isView(node)) {
      const record = node as Record<string, unknown>;
      if (record.metadata && 'data' in record) found.push(record as temporal.api.common.v1.IPayload);
      else Object.values(record).forEach(walk);
    }
  };
  walk(value);
  return found;
}

/** Sandbox tokens and client secrets as they look in plaintext (client ids are not secrets). */
export const PLAINTEXT_SECRET = /sbx_(?:at|rt|ut|urt|secret)_[A-Za-z0-9_-]{32}/g;
