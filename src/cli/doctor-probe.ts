import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConnectionOptions } from '@temporalio/client';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Config } from '../config';
import { connectionOptionsFor } from '../connection/client-from-config';
import type { Check } from './check';

/** Concurrent updates one company must be able to hold in flight (`history.maxInFlightUpdates`; Temporal's default is 10). */
export const IN_FLIGHT_UPDATES_PROBE = 50;
const RESOURCE_EXHAUSTED = 8;

const PROBE_TYPE = 'plumDoctorProbe';
const PROBE_ID_PREFIX = 'plum-doctor-probe-';
const PROBE_TIMEOUT_MS = 30_000;

/**
 * Deletes the probes earlier doctors left behind (killed mid-probe, or a delete that failed): closed ones, and running
 * ones older than their timeout. A probe of a doctor running now is younger and is left alone. Returns how many.
 */
async function removeStaleProbes(client: Client, namespace: string): Promise<number> {
  const startedBefore = new Date(Date.now() - PROBE_TIMEOUT_MS).toISOString();
  const query = `WorkflowType = '${PROBE_TYPE}' AND (ExecutionStatus != 'Running' OR StartTime < '${startedBefore}')`;
  let removed = 0;
  for await (const execution of client.workflow.list({ query, pageSize: 100 })) {
    if (!execution.workflowId.startsWith(PROBE_ID_PREFIX)) continue;
    // Visibility lists a probe for a while after its own doctor deleted it: only one still there was left behind.
    const gone = await client.workflow
      .getHandle(execution.workflowId, execution.runId)
      .describe()
      .then(
        () => false,
        () => true,
      );
    if (gone) continue;
    const deleted = await client.workflowService
      .deleteWorkflowExecution({ namespace, workflowExecution: { workflowId: execution.workflowId } })
      .then(
        () => true,
        () => false,
      );
    if (deleted) removed += 1;
    if (removed >= 1000) break;
  }
  return removed;
}

/**
 * Sends {@link IN_FLIGHT_UPDATES_PROBE} concurrent updates to a scratch workflow no worker polls, then terminates it. A
 * server at Temporal's default limit refuses all but ten at once (`RESOURCE_EXHAUSTED`); the probe's own connection
 * has no retry interceptor, so a refusal arrives as one.
 */
export async function inFlightUpdates(config: Config, namespace: string): Promise<Check> {
  const connection = await Connection.connect({
    ...connectionOptionsFor(config),
    interceptors: [],
  } as ConnectionOptions);
  const client = new Client({ connection, namespace });
  const removed = await removeStaleProbes(client, namespace);
  const workflowId = `${PROBE_ID_PREFIX}${randomUUID()}`;
  const handle = await client.workflow.start(PROBE_TYPE, {
    taskQueue: `plum-doctor-${randomUUID()}`,
    workflowId,
    // A doctor killed mid-probe leaves it running at most this long; the next doctor deletes it.
    workflowExecutionTimeout: PROBE_TIMEOUT_MS,
    workflowRunTimeout: PROBE_TIMEOUT_MS,
  });
  let refused = 0;
  let settled = 0;
  const stage = temporal.api.enums.v1.UpdateWorkflowExecutionLifecycleStage;
  const calls = Array.from({ length: IN_FLIGHT_UPDATES_PROBE }, () =>
    client.workflowService
      .updateWorkflowExecution({
        namespace,
        workflowExecution: { workflowId },
        waitPolicy: { lifecycleStage: stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED },
        request: { meta: { updateId: randomUUID() }, input: { name: 'probe' } },
      })
      .catch((error: { code?: number }) => {
        if (error.code === RESOURCE_EXHAUSTED) refused += 1;
      })
      .finally(() => (settled += 1)),
  );
  try {
    // Admitted updates wait for a worker that never comes; refusals come back at once.
    const deadline = Date.now() + 2000;
    while (Date.now() < deadline && settled < IN_FLIGHT_UPDATES_PROBE) await sleep(50);
  } finally {
    await handle.terminate('plum-keeper doctor probe done').catch(() => undefined);
    await Promise.all(calls);
    // The probe leaves no trace in the operator's workflow list.
    await client.workflowService
      .deleteWorkflowExecution({ namespace, workflowExecution: { workflowId } })
      .catch(() => undefined);
    await connection.close();
  }
  const cleaned = removed > 0 ? `; deleted ${removed} probe(s) an earlier doctor left behind` : '';
  if (refused === 0)
    return {
      name: 'in-flight updates',
      outcome: 'ok',
      detail: `${IN_FLIGHT_UPDATES_PROBE} concurrent updates admitted${cleaned}`,
    };
  return {
    name: 'in-flight updates',
    outcome: 'problem',
    detail: `the server admitted only ${IN_FLIGHT_UPDATES_PROBE - refused} of ${IN_FLIGHT_UPDATES_PROBE} concurrent updates to one workflow${cleaned}`,
    fix: 'set the dynamic config history.maxInFlightUpdates to 500 (temporal server start-dev --dynamic-config-value history.maxInFlightUpdates=500)',
  };
}
