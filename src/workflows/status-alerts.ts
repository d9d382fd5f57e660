import * as wf from '@temporalio/workflow';
import type { AlertState, PlumActivities, StatusAlert, StatusResult } from '../contract';
import { alertFor, alertStateAfter } from './alert-transitions';

/**
 * Alerts on transitions into and out of DEGRADED, EXPIRED and NEEDS_REAUTH: one per transition, posted by an activity
 * (retried for about two hours, never awaited by the loop) when the worker has a webhook.
 */
export class StatusAlerts {
  /** Alerts sent and not yet delivered, by id. */
  private readonly pending = new Map<string, StatusAlert>();
  private readonly activities = wf.proxyActivities<PlumActivities>({
    startToCloseTimeout: '30 seconds',
    retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 30 },
  });

  /** No alert is still being delivered (a run waits for them before it continues as new or completes). */
  delivered(): boolean {
    return this.pending.size === 0;
  }

  /** Alerts still being delivered, for the next run to send again (same ids: receivers drop duplicates). */
  undelivered(): StatusAlert[] {
    return [...this.pending.values()];
  }

  /** Sends `alert` (again, when a previous run carried it); never awaited by the loop. */
  send(alert: StatusAlert): void {
    this.pending.set(alert.id, alert);
    this.activities.sendStatusAlert
      .executeWithOptions(
        { summary: `alert: ${alert.event} ${alert.status}${alert.reason ? ` (${alert.reason})` : ''}` },
        [alert],
      )
      .catch((error: unknown) => wf.log.error('status alert not delivered', { alertId: alert.id, error }))
      .finally(() => this.pending.delete(alert.id));
  }

  /** The alert state after `status`: changed only on a transition, which is sent when the worker has a webhook. */
  observe(status: StatusResult, alerted: AlertState | undefined, webhook: boolean): AlertState | undefined {
    const alert = alertFor(status, alerted, Date.now());
    if (alert === undefined) return alerted;
    if (webhook) this.send(alert);
    return alertStateAfter(alert);
  }
}
