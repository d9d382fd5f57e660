import { temporal } from '@temporalio/proto';
import type { Harness } from '../lib/harness';
import type { SectionResult } from '../lib/report';
import { row } from '../lib/report';
import { waitUntil } from '../lib/stats';
import type { BenchSizes } from './sizes';
import { DEFAULT_WORKER_SETTINGS, workflowIdFor } from '../../src/contract';

const TASK_QUEUE = 'bench-cost';
const EventType = temporal.api.enums.v1.EventType;
const DAY_MS = 24 * 3600_000;
const PLUM_TOKEN_LIFETIME_MS = 15 * DAY_MS;
const MONTH_MS = (365.25 / 12) * DAY_MS;
const SHORT_LIFETIME_MS = 2000;

/**
 * Temporal Cloud's action categories, as they appear in a history (search-attribute upserts, markers and
 * workflow tasks are not among them). Heartbeats are actions but leave no event: the refresh heartbeats once.
 */
const ACTION_EVENTS = new Set<number>([
  EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
  EventType.EVENT_TYPE_TIMER_STARTED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
]);
const HEARTBEATS_PER_ROTATION = 1;

/**
 * One company rotating on its own schedule (tokens living two seconds) until it has rotated N times; its history
 * then says what one rotation costs in events, bytes and Temporal Cloud actions.
 */
export async function costPerCompany(harness: Harness, sizes: BenchSizes): Promise<SectionResult> {
  const worker = await harness.startWorker({ taskQueue: TASK_QUEUE });
  const keeper = harness.keeper(TASK_QUEUE);
  const companyId = 'bench-cost';
  await harness.sandbox.setOptions({ accessLifetimeMs: SHORT_LIFETIME_MS });
  try {
    const seeded = await harness.seed([companyId]);
    await keeper.enrol(companyId, seeded.get(companyId)!.tokens, {
      leadFraction: 0.5,
      minLeadMs: 0,
      jitterFraction: 0,
    });
    const target = sizes.costRotations + 1;
    const rotated = await waitUntil(() => harness.sandbox.rotationCount(companyId) >= target, target * 5000, 100);
    if (!rotated)
      throw new Error(`the cost company rotated ${harness.sandbox.rotationCount(companyId)} times, not ${target}`);
  } finally {
    await harness.sandbox.setOptions({ accessLifetimeMs: 15 * DAY_MS });
    await keeper.retire(companyId, 'bench done').catch(() => undefined);
  }
  const history = await harness.client.workflow.getHandle(workflowIdFor(companyId)).fetchHistory();
  await worker.stop();
  const events = history.events ?? [];
  const rotationStarts = events
    .map((event, index) => ({ event, index }))
    .filter(
      ({ event }) =>
        event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED &&
        event.activityTaskScheduledEventAttributes?.activityType?.name === 'refreshCompanyToken',
    )
    .map(({ index }) => index);
  // Whole cycles only: from the first scheduled refresh to the last, so enrolment and retirement do not count.
  const first = rotationStarts[0]!;
  const last = rotationStarts[rotationStarts.length - 1]!;
  const cycles = rotationStarts.length - 1;
  const cycleEvents = events.slice(first, last);
  const bytes = cycleEvents.reduce((sum, e) => sum + temporal.api.history.v1.HistoryEvent.encode(e).finish().length, 0);
  const actions = cycleEvents.filter((e) => ACTION_EVENTS.has(Number(e.eventType))).length;
  const eventsPerRotation = cycleEvents.length / cycles;
  const actionsPerRotation = actions / cycles + HEARTBEATS_PER_ROTATION;

  const policy = DEFAULT_WORKER_SETTINGS.policy;
  // The average jitter moves a refresh half its maximum earlier.
  const intervalMs =
    PLUM_TOKEN_LIFETIME_MS * (1 - policy.leadFraction) -
    (policy.jitterFraction / 2) * PLUM_TOKEN_LIFETIME_MS * policy.leadFraction;
  const rotationsPerMonth = MONTH_MS / intervalMs;
  const rotationsPerRun = Math.floor(DEFAULT_WORKER_SETTINGS.maxHistoryEvents / eventsPerRotation);
  const actionsPerMonth = rotationsPerMonth * actionsPerRotation + rotationsPerMonth / rotationsPerRun;
  const figures = {
    rotationsMeasured: cycles,
    eventsPerRotation,
    bytesPerRotation: bytes / cycles,
    actionsPerRotation,
    continueAsNewEveryEvents: DEFAULT_WORKER_SETTINGS.maxHistoryEvents,
    rotationsPerRun,
    rotationsPerMonthAt15DayTokens: rotationsPerMonth,
    actionsPerCompanyPerMonth: actionsPerMonth,
    actionsPerMonthFor10000Companies: actionsPerMonth * 10_000,
  };
  return {
    id: 'cost',
    title: `6. Cost per company (history of ${cycles} scheduled rotations)`,
    rows: [
      row('history events per rotation', eventsPerRotation.toFixed(1)),
      row('history bytes per rotation', `${(bytes / cycles).toFixed(0)} B`),
      row(
        'bound continue-as-new keeps',
        `${DEFAULT_WORKER_SETTINGS.maxHistoryEvents} events ≈ ${rotationsPerRun} rotations per run`,
      ),
      row(
        'Temporal actions per rotation',
        `${actionsPerRotation.toFixed(1)} (activity, timer, heartbeat; updates/signals if any)`,
      ),
      row('rotations per month (15-day tokens, default lead)', rotationsPerMonth.toFixed(2)),
      row('actions per company per month', `${actionsPerMonth.toFixed(1)} (+1 query per reading service per rotation)`),
      row('actions per month for 10,000 companies', Math.round(actionsPerMonth * 10_000).toLocaleString('en')),
    ],
    figures,
  };
}
