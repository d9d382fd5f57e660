import type { Client } from '@temporalio/client';
import type { MetricMeter } from '@temporalio/common';
import type { TokenStatus } from '../contract';
import { TOKEN_STATUSES, WORKFLOW_TYPE, accessTokenExpiresAtKey } from '../contract';
import type { Readiness } from './readiness';

const RUNNING = `WorkflowType = '${WORKFLOW_TYPE}' AND ExecutionStatus = 'Running'`;
/** Windows searched for the soonest expiry, nearest first, so a large fleet lists only the companies due soon. */
const EXPIRY_WINDOWS_MS = [3600_000, 24 * 3600_000, 400 * 24 * 3600_000];
const MAX_ROWS_PER_WINDOW = 1000;

export interface FleetSnapshot {
  companies: Record<TokenStatus, number>;
  /** Epoch ms of the soonest access-token expiry among running keepers, or undefined when none holds a token. */
  soonestExpiry: number | undefined;
}

/** Counts running keepers by status and finds the soonest access-token expiry, through visibility queries only. */
export async function fleetSnapshot(client: Client, now: number): Promise<FleetSnapshot> {
  const companies = Object.fromEntries(TOKEN_STATUSES.map((status) => [status, 0])) as Record<TokenStatus, number>;
  for (const status of TOKEN_STATUSES.filter((s) => s !== 'RETIRED')) {
    companies[status] = (await client.workflow.count(`${RUNNING} AND PlumTokenStatus = '${status}'`)).count;
  }
  let soonestExpiry: number | undefined;
  for (const window of EXPIRY_WINDOWS_MS) {
    const before = new Date(now + window).toISOString();
    let rows = 0;
    for await (const execution of client.workflow.list({
      query: `${RUNNING} AND PlumAccessTokenExpiresAt < '${before}'`,
    })) {
      const expiresAt = execution.typedSearchAttributes.get(accessTokenExpiresAtKey)?.getTime();
      if (expiresAt !== undefined) soonestExpiry = Math.min(soonestExpiry ?? expiresAt, expiresAt);
      if (++rows >= MAX_ROWS_PER_WINDOW) break;
    }
    if (soonestExpiry !== undefined) break;
  }
  return { companies, soonestExpiry };
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

  constructor(
    private readonly client: Client,
    meter: MetricMeter,
    private readonly onError: (error: unknown) => void,
    /** This worker's readiness, kept as `plum_keeper_worker_polling` (1 or 0) for the worker-not-polling alert. */
    private readonly readiness?: () => Promise<Readiness>,
  ) {
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
      'epoch seconds of the soonest access-token expiry among running keepers (0: none holds a token)',
    );
  }

  async refresh(): Promise<FleetSnapshot> {
    if (this.readiness) this.polling.set((await this.readiness()).ready ? 1 : 0);
    const snapshot = await fleetSnapshot(this.client, Date.now());
    for (const [status, count] of Object.entries(snapshot.companies)) this.companies.set(count, { status });
    this.soonest.set(snapshot.soonestExpiry === undefined ? 0 : snapshot.soonestExpiry / 1000);
    return snapshot;
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
