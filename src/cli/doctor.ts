import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConnectionOptions } from '@temporalio/client';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Config } from '../config';
import { ConfigError, loadConfig } from '../config';
import { MissingKeyRingError, resolveKeyRings } from '../config/key-ring';
import type { KeyRings } from '../config/key-ring';
import { clientFromConfig, connectionOptionsFor } from '../config/temporal-client';
import { deploymentCheck } from './deployment-check';
import { PLUM_SEARCH_ATTRIBUTE_TYPES, TASK_QUEUE, WORKFLOW_TYPE, statusQuery } from '../contract';

import type { Check } from './check';

export type { Check } from './check';

/** Concurrent updates one company must be able to hold in flight (`history.maxInFlightUpdates`; Temporal's default is 10). */
export const IN_FLIGHT_UPDATES_PROBE = 50;
const RESOURCE_EXHAUSTED = 8;
const INDEXED_TYPE = temporal.api.enums.v1.IndexedValueType;
const CLI_TYPE_OF: Record<number, string> = {
  [INDEXED_TYPE.INDEXED_VALUE_TYPE_KEYWORD]: 'Keyword',
  [INDEXED_TYPE.INDEXED_VALUE_TYPE_DATETIME]: 'Datetime',
};

const ok = (name: string, detail: string): Check => ({ name, outcome: 'ok', detail });
const problem = (name: string, detail: string, fix: string): Check => ({ name, outcome: 'problem', detail, fix });
const skipped = (name: string, detail: string): Check => ({ name, outcome: 'skipped', detail });
const firstLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';

async function searchAttributes(client: Client, namespace: string): Promise<Check> {
  const { customAttributes } = await client.connection.operatorService.listSearchAttributes({ namespace });
  const wrong = Object.entries(PLUM_SEARCH_ATTRIBUTE_TYPES).filter(
    ([name, type]) => CLI_TYPE_OF[customAttributes?.[name] ?? -1] !== type,
  );
  if (wrong.length === 0) return ok('search attributes', `all four registered in ${namespace}`);
  return problem(
    'search attributes',
    `missing or of the wrong type: ${wrong.map(([name]) => name).join(', ')}`,
    wrong
      .map(
        ([name, type]) =>
          `temporal operator search-attribute create --namespace ${namespace} --name ${name} --type ${type}`,
      )
      .join('\n'),
  );
}

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
async function inFlightUpdates(config: Config, namespace: string): Promise<Check> {
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
  if (refused === 0) return ok('in-flight updates', `${IN_FLIGHT_UPDATES_PROBE} concurrent updates admitted${cleaned}`);
  return problem(
    'in-flight updates',
    `the server admitted only ${IN_FLIGHT_UPDATES_PROBE - refused} of ${IN_FLIGHT_UPDATES_PROBE} concurrent updates to one workflow${cleaned}`,
    'set the dynamic config history.maxInFlightUpdates to 500 (temporal server start-dev --dynamic-config-value history.maxInFlightUpdates=500)',
  );
}

/** Reads the status of one running keeper: proves the codec keys decrypt what the workers wrote. */
async function codecKeys(client: Client): Promise<Check> {
  for await (const execution of client.workflow.list({
    query: `WorkflowType = '${WORKFLOW_TYPE}' AND ExecutionStatus = 'Running'`,
    pageSize: 1,
  })) {
    try {
      await client.workflow.getHandle(execution.workflowId).query(statusQuery);
      return ok('codec keys', `decrypted the state of ${execution.workflowId}`);
    } catch (error) {
      return problem(
        'codec keys',
        `cannot read ${execution.workflowId}: ${firstLine(error)}`,
        'give the CLI the same PLUM_CODEC_KEYS and PLUM_TOKEN_KEYS as the workers (every key id they have used)',
      );
    }
  }
  return skipped('codec keys', 'the keys parse; no running keeper to read yet');
}

async function workersPolling(client: Client, namespace: string): Promise<Check> {
  const described = await client.workflowService.describeTaskQueue({
    namespace,
    taskQueue: { name: TASK_QUEUE },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  });
  const pollers = described.pollers?.length ?? 0;
  if (pollers > 0) return ok('workers', `${pollers} worker(s) poll ${TASK_QUEUE}`);
  return problem(
    'workers',
    `no worker polls ${TASK_QUEUE}`,
    'start the main job (npm run start:prod) with the same TEMPORAL_ADDRESS and namespace',
  );
}

async function plumReachable(config: Config): Promise<Check> {
  if (config.plum.mode === 'sandbox') return skipped('Plum', 'PLUM_BASE_URL unset: the main job runs a local sandbox');
  try {
    const response = await fetch(config.plum.baseUrl, { method: 'HEAD', signal: AbortSignal.timeout(5000) });
    return ok('Plum', `${new URL(config.plum.baseUrl).origin} answered HTTP ${response.status}`);
  } catch (error) {
    const code = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    return problem(
      'Plum',
      `${new URL(config.plum.baseUrl).origin} is unreachable (${code})`,
      'check PLUM_BASE_URL, DNS and the egress firewall (and Plum’s IP whitelist)',
    );
  }
}

/** Runs every check it can; a failed one never stops the rest, only those that need what it failed to give. */
export async function runDoctor(env: Record<string, string | undefined> = process.env): Promise<Check[]> {
  const checks: Check[] = [];
  let config: Config;
  try {
    config = loadConfig(env);
    checks.push(ok('configuration', 'every variable parses'));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const p of error.problems)
      checks.push(
        problem('configuration', `${p.variable}: ${p.problem}`, `fix ${p.variable} (README.md, configuration table)`),
      );
    return checks;
  }
  let rings: KeyRings;
  try {
    rings = resolveKeyRings(config, { create: false });
  } catch (error) {
    if (!(error instanceof MissingKeyRingError)) throw error;
    checks.push(problem('codec keys', error.message, error.hint), await plumReachable(config));
    return checks;
  }
  checks.push(await plumReachable(config));
  let client: Client;
  try {
    client = await clientFromConfig(config, rings);
    await client.connection.workflowService.getSystemInfo({});
    checks.push(ok('Temporal', `connected to namespace ${config.temporal.namespace}`));
  } catch (error) {
    checks.push(
      problem(
        'Temporal',
        `cannot connect: ${firstLine(error)}`,
        'check TEMPORAL_ADDRESS (and TEMPORAL_API_KEY / TLS for a hosted Temporal), or start the main job (npm start)',
      ),
    );
    return checks;
  }
  try {
    const namespace = config.temporal.namespace;
    for (const check of [
      () => searchAttributes(client, namespace),
      () => inFlightUpdates(config, namespace),
      () => workersPolling(client, namespace),
      () => deploymentCheck(client, config.deployment),
      () => codecKeys(client),
    ]) {
      checks.push(await check().catch((error: unknown) => problem('Temporal', firstLine(error), 'see the message')));
    }
  } finally {
    await client.connection.close();
  }
  return checks;
}
