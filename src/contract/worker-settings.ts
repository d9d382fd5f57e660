/** The refresh policy after defaults and per-company overrides are merged. */
export interface SchedulePolicy {
  /** Refresh this fraction of the token's lifetime before it expires. */
  leadFraction: number;
  /** …but never less than this many milliseconds before. */
  minLeadMs: number;
  /** Move each refresh earlier by up to this fraction of the lead, so companies enrolled together spread out. */
  jitterFraction: number;
}

/** Worker-side knobs the workflow reads once per run (through a local activity, so replay sees the same values). */
export interface WorkerSettings {
  policy: SchedulePolicy;
  /** Backoff for transient refresh failures. */
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** Retry delay while a company has no credentials. */
  noCredentialsRetryMs: number;
  /** Heartbeat timeout of the refresh activity; must exceed the HTTP timeout. */
  activityHeartbeatTimeoutMs: number;
  activityStartToCloseMs: number;
  userTokenCacheSize: number;
  /** Continue-as-new past this many history events even if Temporal has not suggested it. */
  maxHistoryEvents: number;
  /**
   * No rotation starts sooner than this after the previous one, forced or scheduled: a zero or tiny lifetime from Plum
   * must not become a refresh storm. Absent in settings recorded by older workers (then no spacing).
   */
  minRotationIntervalMs?: number;
  /** A webhook (`PLUM_ALERT_WEBHOOK_URL`) hears of status transitions. Absent in settings of older workers. */
  alertWebhook?: boolean;
  /**
   * The build id of the versioned worker that read these settings; absent on unversioned workers and before 1.0.0.
   * A run that later runs on another build reads them again (continues as new).
   */
  buildId?: string;
}

export const DEFAULT_WORKER_SETTINGS: WorkerSettings = {
  policy: { leadFraction: 0.5, minLeadMs: 5 * 60_000, jitterFraction: 0.1 },
  backoffInitialMs: 1000,
  backoffMaxMs: 10 * 60_000,
  noCredentialsRetryMs: 60_000,
  activityHeartbeatTimeoutMs: 30_000,
  activityStartToCloseMs: 60_000,
  userTokenCacheSize: 1000,
  maxHistoryEvents: 10_000,
  minRotationIntervalMs: 30_000,
};

/**
 * A worker's final settings: the defaults, what it was configured with, and the timeouts one Plum call needs. The
 * refresh activity heartbeats only once Plum has answered, so its heartbeat timeout outlasts one call
 * (`plumTimeoutMs`), and its start-to-close outlasts the heartbeat. The one place a setting's value is decided.
 */
export function workerSettingsFor(configured: Partial<WorkerSettings>, plumTimeoutMs: number): WorkerSettings {
  const merged: WorkerSettings = {
    ...DEFAULT_WORKER_SETTINGS,
    ...configured,
    policy: { ...DEFAULT_WORKER_SETTINGS.policy, ...configured.policy },
  };
  const heartbeat = Math.max(merged.activityHeartbeatTimeoutMs, plumTimeoutMs + 2000);
  return {
    ...merged,
    activityHeartbeatTimeoutMs: heartbeat,
    activityStartToCloseMs: Math.max(merged.activityStartToCloseMs, heartbeat + 5000),
  };
}

/**
 * Company workflows one worker keeps in memory. The SDK evaluates the keeper's workflow modules once per cached
 * workflow (about 0.4 MB each with zod shared, measured by the bench); its own default (from the heap limit, about
 * 2,300 on a 4 GB heap) would hold four times more. An evicted workflow replays from its short history when its timer
 * fires or a query arrives.
 */
export const DEFAULT_MAX_CACHED_WORKFLOWS = 500;
