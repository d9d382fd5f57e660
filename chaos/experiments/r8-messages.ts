// R8: messages in flight across continue-as-new (updates and queries sent while the run hands over to the next), and
// a flood of concurrent refreshNow calls on one company past the server's in-flight update limit.
import type { SectionResult } from '../../bench/lib/report';
import { row } from '../../bench/lib/report';
import { accessTokenQuery, refreshNowUpdate, statusQuery, userTokenUpdate, workflowIdFor } from '../../src/contract';
import { MAX_IN_FLIGHT_UPDATES } from '../../src/dev-server/dev-server';
import { RETIRE_ALERT_GRACE_MS } from '../../src/contract';
import { TOKEN_LIFETIME_MS, deadWebhookAcrossContinueAsNew } from './r8-dead-webhook';
import { described, errorName } from '../lib/described';
import { eventually, statusOf } from '../lib/fleet';
import type { ChaosLab } from '../lib/lab';
import type { ChaosSizes } from '../lib/sizes';

const FLOOD_DEADLINE_MS = 120_000;

class HungCallError extends Error {
  override readonly name = 'HungCallError';
  constructor() {
    super(`no answer within ${FLOOD_DEADLINE_MS / 1000} s`);
  }
}

async function acrossContinueAsNew(lab: ChaosLab, sizes: ChaosSizes) {
  const worker = await lab.startWorker({ maxHistoryEvents: 60 });
  const companyId = 'r8-can';
  await lab.enrol([companyId]);
  const handle = lab.client.workflow.getHandle(workflowIdFor(companyId));
  const firstRun = (await handle.describe()).runId;
  const updates = Array.from({ length: sizes.inFlightUpdates }, (_, i) =>
    i % 2 === 0
      ? handle.executeUpdate(refreshNowUpdate, { args: [{ reason: `chaos R8 ${i}` }] })
      : handle.executeUpdate(userTokenUpdate, { args: [{ email: `user${i}@acme.test` }] }),
  );
  const queries = Array.from({ length: sizes.inFlightQueries }, (_, i) =>
    i % 2 === 0 ? handle.query(statusQuery) : handle.query(accessTokenQuery),
  );
  const settled = await Promise.allSettled([...updates, ...queries]);
  const failed = settled.flatMap((s, i) =>
    s.status === 'rejected' ? [`${i < updates.length ? 'update' : 'query'} ${described(s.reason)}`] : [],
  );
  let runs = 0;
  for await (const _ of lab.client.workflow.list({ query: `WorkflowId = '${workflowIdFor(companyId)}'` })) runs += 1;
  const handedOver = (await handle.describe()).runId !== firstRun;
  const active = await eventually(async () => (await statusOf(lab, companyId)).status === 'ACTIVE', 15_000);
  await lab.retire([companyId]);
  await worker.stop();
  return { failed, runs, handedOver, active };
}

async function flood(lab: ChaosLab, sizes: ChaosSizes) {
  const worker = await lab.startWorker();
  const companyId = 'r8-flood';
  await lab.enrol([companyId]);
  const rotationsBefore = lab.sandbox.rotationCount(companyId);
  const started = performance.now();
  let slowestMs = 0;
  // A caller still waiting after this long counts as hung: the experiment reports it instead of waiting forever.
  let deadlineTimer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    deadlineTimer = setTimeout(() => reject(new HungCallError()), FLOOD_DEADLINE_MS);
  });
  deadline.catch(() => undefined);
  const outcomes = await Promise.allSettled(
    Array.from({ length: sizes.refreshNowCallers }, async (_, i) => {
      const t0 = performance.now();
      try {
        return await Promise.race([lab.keeper.refreshNow(companyId, `chaos R8 flood ${i}`), deadline]);
      } finally {
        slowestMs = Math.max(slowestMs, performance.now() - t0);
      }
    }),
  );
  clearTimeout(deadlineTimer);
  const seconds = (performance.now() - started) / 1000;
  const errors: Record<string, number> = {};
  for (const outcome of outcomes)
    if (outcome.status === 'rejected') errors[errorName(outcome.reason)] = (errors[errorName(outcome.reason)] ?? 0) + 1;
  const examples = outcomes
    .flatMap((o) => (o.status === 'rejected' ? [String((o.reason as Error).message).slice(0, 160)] : []))
    .slice(0, 2);
  const ok = outcomes.filter((o) => o.status === 'fulfilled').length;
  const rotations = lab.sandbox.rotationCount(companyId) - rotationsBefore;
  const active = (await statusOf(lab, companyId)).status === 'ACTIVE';
  await lab.retire([companyId]);
  await worker.stop();
  return { ok, errors, examples, seconds, rotations, active, slowestMs };
}

export async function messagesInFlight(lab: ChaosLab, sizes: ChaosSizes): Promise<SectionResult> {
  await lab.sandbox.setOptions({ rotation: 'strict', accessLifetimeMs: 600_000 });
  const can = await acrossContinueAsNew(lab, sizes);
  const burst = await flood(lab, sizes);
  const dead = await deadWebhookAcrossContinueAsNew(lab, sizes.deadWebhookWatchMs);
  const deadMet =
    dead.runs >= 2 &&
    dead.carriedAlerts >= 1 &&
    dead.expiredSeen === 0 &&
    dead.failedReads === 0 &&
    dead.retired &&
    dead.retireMs <= RETIRE_ALERT_GRACE_MS + 15_000;
  const failedFlood = sizes.refreshNowCallers - burst.ok;
  const hung = burst.errors[HungCallError.name] ?? 0;
  const clearErrors = Object.keys(burst.errors).every(
    (name) => name.endsWith('Error') && name !== 'Error' && name !== HungCallError.name,
  );
  return {
    id: 'R8',
    title:
      'R8 messages across continue-as-new; a refreshNow flood past the in-flight update limit; a dead alert webhook across continue-as-new',
    rows: [
      row(
        `${sizes.inFlightUpdates} updates + ${sizes.inFlightQueries} queries across continue-as-new`,
        `${can.failed.length} failed${can.failed.length ? ` (${can.failed.slice(0, 3).join(', ')})` : ''}; ${can.runs} runs, handed over: ${can.handedOver ? 'yes' : 'no'}`,
        { text: '0 failed, a hand-over happened', met: can.failed.length === 0 && can.handedOver && can.active },
      ),
      row(
        `${sizes.refreshNowCallers} concurrent refreshNow (server limit ${MAX_IN_FLIGHT_UPDATES} in flight)`,
        `${burst.ok} answered in ${burst.seconds.toFixed(1)} s (slowest ${(burst.slowestMs / 1000).toFixed(1)} s), ${failedFlood} failed${failedFlood ? ` ${JSON.stringify(burst.errors)}` : ''}; ${burst.rotations} upstream rotations`,
        {
          text: `no caller waiting past ${FLOOD_DEADLINE_MS / 1000} s; failures typed; company ACTIVE`,
          met: hung === 0 && clearErrors && burst.active,
        },
      ),
      row(
        `dead alert webhook, ${sizes.deadWebhookWatchMs / 1000} s of ${TOKEN_LIFETIME_MS / 1000} s tokens with continue-as-new, then retire`,
        `${dead.runs} runs, up to ${dead.carriedAlerts} alerts carried; ${dead.rotations} rotations; EXPIRED seen ${dead.expiredSeen}, failed reads ${dead.failedReads}${dead.readErrors.length ? ` (${dead.readErrors.join('; ')})` : ''}; retired ${dead.retired ? 'in' : 'NOT within'} ${(dead.retireMs / 1000).toFixed(1)} s`,
        {
          text: `≥ 2 runs with alerts carried, 0 EXPIRED, 0 failed reads, retired within ${RETIRE_ALERT_GRACE_MS / 1000} s (+15)`,
          met: deadMet,
        },
      ),
    ],
    figures: { continueAsNew: can, flood: burst, deadWebhook: dead },
  };
}
