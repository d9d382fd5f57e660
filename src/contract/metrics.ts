import { PLUM_CALL_OUTCOMES } from './failure-types';
import { TOKEN_STATUSES } from './status';

/**
 * The keeper's own Prometheus metrics: names, and every label value each can carry, so a worker exports each series
 * at 0 from its start (a rate over a series that appears only with its first event misses that event). Labels are
 * snake_case like the SDK's (`namespace`, `task_queue`, `workflow_type`), and never name a company.
 */
export const KEEPER_COUNTERS = {
  plum_keeper_rotations: { unit: 'rotations', help: 'token sets rotated', labels: {} },
  plum_keeper_status_transitions: {
    unit: 'transitions',
    help: 'status changes, by the status entered',
    labels: { status: TOKEN_STATUSES },
  },
  plum_keeper_lost_in_flight: {
    unit: 'events',
    help: 'rotations whose reply was lost before any worker saw it',
    labels: {},
  },
  plum_keeper_user_token_requests: {
    unit: 'requests',
    help: 'user-token requests by result',
    labels: { result: ['cache_hit', 'exchanged', 'failed'] },
  },
  plum_keeper_upstream_calls: {
    unit: 'calls',
    help: 'Plum calls by endpoint and outcome class',
    labels: {
      endpoint: ['refresh', 'user_token', 'validate'],
      outcome: PLUM_CALL_OUTCOMES,
    },
  },
  plum_keeper_rate_limit_penalties: {
    unit: 'penalties',
    help: 'Plum rate-limit answers (HTTP 429)',
    labels: { endpoint: ['refresh', 'user_token', 'validate'] },
  },
} as const satisfies Record<string, { unit: string; help: string; labels: Record<string, readonly string[]> }>;

export type KeeperCounter = keyof typeof KEEPER_COUNTERS;
export type UpstreamEndpoint = (typeof KEEPER_COUNTERS.plum_keeper_upstream_calls.labels.endpoint)[number];
export type UpstreamOutcome = (typeof KEEPER_COUNTERS.plum_keeper_upstream_calls.labels.outcome)[number];
export type UserTokenOutcome = (typeof KEEPER_COUNTERS.plum_keeper_user_token_requests.labels.result)[number];

/** The sink through which workflow code counts (never during replay); the worker adds its own labels. */
export type KeeperMetricsSink = {
  count(counter: KeeperCounter, labels: Record<string, string>): void;
};

/**
 * Where a workflow says why it refused its run (an earlier release wrote it). Called during replay too: a refusal
 * always happens in replay, where the workflow logger is silent, and the failure it raises is encrypted.
 */
export type KeeperRefusalSink = {
  refused(message: string): void;
};

/** How workflows reach the worker (`proxySinks<KeeperSinks>()`). */
export type KeeperSinks = { keeperMetrics: KeeperMetricsSink; keeperRefusals: KeeperRefusalSink };
