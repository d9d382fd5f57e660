// R8, a dead alert webhook across continue-as-new (issue 22, defect 5): the webhook refuses every connection while a
// company's alerts are pending and its runs continue as new on their own (short tokens, a small history limit). Alerts
// must never hold back a refresh, a continue-as-new or a retire: the pending ones ride along in the carried state.
import { setTimeout as sleep } from 'node:timers/promises';
import { defaultPayloadConverter } from '@temporalio/common';
import { RETIRE_ALERT_GRACE_MS, statusQuery, workflowIdFor } from '../../src/contract';
import { described } from '../lib/described';
import { eventually, servedToken, statusOf } from '../lib/fleet';
import type { ChaosLab } from '../lib/lab';
import { deadPort } from '../../test/helpers/dead-port';

export const TOKEN_LIFETIME_MS = 10_000;

/** How many alerts a run's start input carried from the run before it. */
async function carriedAlerts(lab: ChaosLab, workflowId: string, runId: string): Promise<number> {
  const history = await lab.client.workflow.getHandle(workflowId, runId).fetchHistory();
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!payload) return 0;
  const [decoded] = await lab.client.options.loadedDataConverter.payloadCodecs[0]!.decode([payload]);
  const input = defaultPayloadConverter.fromPayload<{ carried?: { pendingAlerts?: unknown[] } }>(decoded!);
  return input.carried?.pendingAlerts?.length ?? 0;
}

export interface DeadWebhookFigures {
  runs: number;
  /** The most alerts one run carried into the next. */
  carriedAlerts: number;
  rotations: number;
  expiredSeen: number;
  failedReads: number;
  /** The first failed reads (and run look-ups), described: a report says what failed, not only how often. */
  readErrors: string[];
  retireMs: number;
  retired: boolean;
}

/** Runs the company through `watchMs` of rotations and continue-as-new with the webhook dead, then retires it. */
export async function deadWebhookAcrossContinueAsNew(lab: ChaosLab, watchMs: number): Promise<DeadWebhookFigures> {
  const companyId = 'r8-dead-webhook';
  const workflowId = workflowIdFor(companyId);
  // 10 s tokens refreshed at half-life: the injected failure (three attempts, about 3 s) ends before the token does.
  await lab.sandbox.setOptions({ rotation: 'strict', accessLifetimeMs: TOKEN_LIFETIME_MS });
  const worker = await lab.startWorker(
    { maxHistoryEvents: 40 },
    { alertWebhookUrl: `http://127.0.0.1:${await deadPort()}/alerts` },
  );
  try {
    await lab.enrol([companyId]);
    const handle = lab.client.workflow.getHandle(workflowId);
    // One failed refresh (three attempts): DEGRADED, then recovered at the retry: two alerts nobody receives.
    for (let i = 0; i < 3; i++) await lab.sandbox.injectFault('refresh', { kind: 'serverError', status: 503 });
    const runs = new Set<string>();
    let carried = 0;
    const noteRun = async () => {
      const { runId } = await handle.describe();
      if (runs.has(runId)) return;
      runs.add(runId);
      carried = Math.max(carried, await carriedAlerts(lab, workflowId, runId));
    };
    // The window opens once the failure has passed (a refresh succeeded after it): an outage at the refresh moment may
    // itself outlast a short token on a loaded machine, which is not what this measures. From here on only the dead
    // webhook stands in the way.
    const afterFailure = lab.sandbox.rotationCount(companyId);
    await eventually(async () => {
      await noteRun();
      const status = await handle.query(statusQuery);
      return lab.sandbox.rotationCount(companyId) > afterFailure && status.status === 'ACTIVE';
    }, 60_000);
    const rotationsBefore = lab.sandbox.rotationCount(companyId);
    let expiredSeen = 0;
    let failedReads = 0;
    const readErrors: string[] = [];
    const failed = (what: string) => (error: unknown) => {
      if (readErrors.length < 5) readErrors.push(`${what}: ${described(error)}`);
      return undefined;
    };
    const end = Date.now() + watchMs;
    while (Date.now() < end) {
      // Raw reads, sent again only when Temporal refuses them as not ready (wire protocol rule 7), as a service's are.
      const [status, token] = await Promise.all([
        statusOf(lab, companyId).catch(failed('status')),
        servedToken(lab, companyId).catch(failed('accessToken')),
      ]);
      if (status?.status === 'EXPIRED') expiredSeen += 1;
      if (!status) failedReads += 1;
      if (token === undefined) failedReads += 1;
      await noteRun().catch(failed('describe'));
      await sleep(250);
    }
    const rotations = lab.sandbox.rotationCount(companyId) - rotationsBefore;
    const retireStarted = performance.now();
    await handle.signal('retire', { reason: 'chaos R8: dead webhook' });
    const retired = await Promise.race([
      handle.result().then(
        (result) => result.status === 'RETIRED',
        () => false,
      ),
      sleep(RETIRE_ALERT_GRACE_MS + 30_000).then(() => false),
    ]);
    return {
      runs: runs.size,
      carriedAlerts: carried,
      rotations,
      expiredSeen,
      failedReads,
      readErrors,
      retireMs: performance.now() - retireStarted,
      retired,
    };
  } finally {
    await lab.sandbox.clearFaults();
    await worker.stop();
  }
}
