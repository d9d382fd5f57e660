import type { Client } from '@temporalio/client';
import type { MetricMeter } from '@temporalio/common';
import type { TokenStatus } from '../contract';
import { TOKEN_STATUSES, WORKFLOW_TYPE, accessTokenExpiresAtKey } from '../contract';
import { readDeployment, strandedBuilds } from '../deployment/deployment-view';
import type { Readiness } from './readiness';

const RUNNING = `WorkflowType = '${WORKFLOW_TYPE}' AND ExecutionStatus = 'Running'`;
/** The states a running keeper can be in (a retired keeper's run has completed: a gauge of it could never move). */
export const RUNNING_STATUSES = TOKEN_STATUSES.filter((s) => s !== 'RETIRED');
/**
 * Keepers whose token the keeper can still refresh: the expiring-soon signal counts only these, so a company in
 * NEEDS_REAUTH (or EXPIRED) pages once, through its own alert, instead of also paging as "expiring soon" until fixed.
 */
export const REFRESHABLE_STATUSES = ['ACTIVE', 'REFRESHING', 'DEGRADED'] as const;
const REFRESHABLE = `PlumTokenStatus IN (${REFRESHABLE_STATUSES.map((s) => `'${s}'`).join(', ')})`;
/** Windows searched for the soonest expiry, nearest first, so a large fleet lists only the companies due soon. */
const EXPIRY_WINDOWS_MS = [3600_000, 24 * 3600_000, 400 * 24 * 3600_000];
const MAX_ROWS_PER_WINDOW = 1000;

/** A keeper this long past its planned refresh counts as overdue: a refresh takes seconds, a hold-off is replanned. */
export const OVERDUE_GRACE_MS = 120_000;

export interface FleetSnapshot {
  companies: Partial<Record<TokenStatus, number>>;
  /** Keepers that can refresh whose planned refresh is more than {@link OVERDUE_GRACE_MS} in the past. */
  overdue: number;
  /** Epoch ms of the soonest access-token expiry among keepers that can still refresh, or undefined when none. */
  soonestExpiry: number | undefined;
}

/** Counts running keepers by status and finds the soonest refreshable access-token expiry, through visibility only. */
export async function fleetSnapshot(client: Client, now: number): Promise<FleetSnapshot> {
  const companies: Partial<Record<TokenStatus, number>> = {};
  for (const status of RUNNING_STATUSES) {
    companies[status] = (await client.workflow.count(`${RUNNING} AND PlumTokenStatus = '${status}'`)).count;
  }
  let soonestExpiry: number | undefined;
  for (const window of EXPIRY_WINDOWS_MS) {
    const before = new Date(now + window).toISOString();
    let rows = 0;
    for await (const execution of client.workflow.list({
      query: `${RUNNING} AND ${REFRESHABLE} AND PlumAccessTokenExpiresAt < '${before}'`,
    })) {
      const expiresAt = execution.typedSearchAttributes.get(accessTokenExpiresAtKey)?.getTime();
      if (expiresAt !== undefined) soonestExpiry = Math.min(soonestExpiry ?? expiresAt, expiresAt);
      if (++rows >= MAX_ROWS_PER_WINDOW) break;
    }
    if (soonestExpiry !== undefined) break;
  }
  const overdueBefore = new Date(now - OVERDUE_GRACE_MS).toISOString();
  const overdue = (
    await client.workflow.count(`${RUNNING} AND ${REFRESHABLE} AND PlumNextRefreshAt < '${overdueBefore}'`)
  ).count;
  return { companies, soonestExpiry, overdue };
}

/**
 * Keeps the fleet gauges (`plum_keeper_companies{status}`, `plum_keeper_soonest_access_token_expiry`) current through
 * the runtime's metric meter, so they share the SDK's registry. Every worker may run one; the values agree.
 */
export class FleetGauges {
  private timer: NodeJS.Timeout | undefined;
  private readonly companies;
  private readonly soonest;
  private readonly polling;
  private readonly overdue;
  private readonly stranded;
  private readonly build;
  /** Builds reported stranded last time: set back to 0 once they are not. */
  private strandedBefore = new Set<string>();

  constructor(
    private readonly client: Client,
    meter: MetricMeter,
    private readonly onError: (error: unknown) => void,
    /** This worker's readiness, kept as `plum_keeper_worker_polling` (1 or 0) for the worker-not-polling alert. */
    private readonly readiness?: () => Promise<Readiness>,
    /** A versioned worker's version: `plum_keeper_build_info` and the stranded-keepers gauge per build. */
    private readonly deployment?: { deploymentName: string; buildId: string; taskQueue: string; pollStaleMs: number },
  ) {
    this.overdue = meter.createGauge(
      'plum_keeper_refresh_overdue_companies',
      'int',
      'companies',
      `keepers that can refresh whose planned refresh is more than ${OVERDUE_GRACE_MS / 1000} s in the past (no worker runs them)`,
    );
    this.stranded = meter.createGauge(
      'plum_keeper_stranded_companies',
      'int',
      'companies',
      'keepers pinned to a build no worker polls, by build (they answer no read and never refresh)',
    );
    this.build = meter.createGauge('plum_keeper_build_info', 'int', 'info', "1, labelled with this worker's build id");
    this.polling = meter.createGauge(
      'plum_keeper_worker_polling',
      'int',
      'boolean',
      '1 while this worker polls both halves of its task queue, else 0',
    );
    this.companies = meter.createGauge('plum_keeper_companies', 'int', 'companies', 'running keepers by status');
    this.soonest = meter.createGauge(
      'plum_keeper_soonest_access_token_expiry_timestamp_seconds',
      'float',
      'seconds',
      'epoch seconds of the soonest access-token expiry among keepers that can still refresh (ACTIVE, REFRESHING, DEGRADED; 0: none)',
    );
  }

  async refresh(): Promise<FleetSnapshot> {
    if (this.readiness) this.polling.set((await this.readiness()).ready ? 1 : 0);
    const snapshot = await fleetSnapshot(this.client, Date.now());
    for (const [status, count] of Object.entries(snapshot.companies)) this.companies.set(count, { status });
    this.soonest.set(snapshot.soonestExpiry === undefined ? 0 : snapshot.soonestExpiry / 1000);
    this.overdue.set(snapshot.overdue);
    if (this.deployment) await this.refreshBuilds(this.deployment);
    return snapshot;
  }

  private async refreshBuilds(deployment: NonNullable<FleetGauges['deployment']>) {
    this.build.set(1, { build: deployment.buildId, deployment: deployment.deploymentName });
    const view = await readDeployment(
      this.client,
      deployment.deploymentName,
      deployment.taskQueue,
      deployment.pollStaleMs,
    );
    const stranded = view ? await strandedBuilds(this.client, view) : [];
    const now = new Set(stranded.map((s) => s.buildId));
    for (const s of stranded) this.stranded.set(s.keepers, { build: s.buildId });
    for (const gone of this.strandedBefore) if (!now.has(gone)) this.stranded.set(0, { build: gone });
    this.strandedBefore = now;
  }

  start(intervalMs: number): void {
    const tick = () => {
      this.refresh()
        .catch(this.onError)
        .finally(() => {
          if (this.timer) this.timer = setTimeout(tick, intervalMs).unref();
        });
    };
    this.timer = setTimeout(tick, 0).unref();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
