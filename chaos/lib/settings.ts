import type { WorkerSettings } from '../../src/contract';

/** Worker settings for second-long sandbox tokens: every wait of the keeper shrinks with them. */
export const CHAOS_SETTINGS: Partial<WorkerSettings> = {
  policy: { leadFraction: 0.5, minLeadMs: 0, jitterFraction: 0 },
  backoffInitialMs: 200,
  backoffMaxMs: 2000,
  noCredentialsRetryMs: 500,
  activityHeartbeatTimeoutMs: 2000,
  activityStartToCloseMs: 15_000,
  minRotationIntervalMs: 0,
};

/** The Plum HTTP timeout of the chaos workers. */
export const CHAOS_HTTP_TIMEOUT_MS = 1500;
