import type { WorkerSettings } from '../../src/contract';
import { DEFAULT_WORKER_SETTINGS } from '../../src/contract';

/** Fast settings for tests whose sandbox tokens live seconds. */
export const TEST_SETTINGS: WorkerSettings = {
  ...DEFAULT_WORKER_SETTINGS,
  policy: { leadFraction: 0.5, minLeadMs: 0, jitterFraction: 0 },
  backoffInitialMs: 200,
  backoffMaxMs: 2000,
  noCredentialsRetryMs: 500,
  activityHeartbeatTimeoutMs: 4000,
  activityStartToCloseMs: 15_000,
  minRotationIntervalMs: 0,
};
