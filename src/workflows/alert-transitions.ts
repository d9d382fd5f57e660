import type { AlertState, StatusAlert, StatusResult } from '../contract';
import { ALERT_STATES, nextStepFor, workflowIdFor } from '../contract';

/** The alert state `status` puts a company in; `REFRESHING` and `RETIRED` leave it as it was. */
export function alertStateOf(status: StatusResult['status'], previous: AlertState): AlertState {
  if ((ALERT_STATES as readonly string[]).includes(status)) return status as AlertState;
  return status === 'ACTIVE' ? 'OK' : previous;
}

function summary(status: StatusResult, event: StatusAlert['event'], previous: AlertState): string {
  const why = status.reason ? ` (${status.reason})` : '';
  if (event === 'recovered') return `company ${status.companyId} recovered from ${previous}: ${status.status} again`;
  return `company ${status.companyId} is ${status.status}${why}`;
}

/**
 * The alert a status change calls for, or undefined when the alert state did not change (one alert per transition).
 * Pure: the workflow decides whether and how to send it.
 */
export function alertFor(status: StatusResult, alerted: AlertState | undefined, now: number): StatusAlert | undefined {
  const previous = alerted ?? 'OK';
  const next = alertStateOf(status.status, previous);
  if (next === previous) return undefined;
  const event = next === 'OK' ? 'recovered' : 'entered';
  const workflowId = workflowIdFor(status.companyId);
  return {
    id: `${workflowId}/${next}/${now}`,
    event,
    companyId: status.companyId,
    workflowId,
    status: status.status,
    previous,
    ...(status.reason !== undefined && { reason: status.reason }),
    ...(status.lastError !== undefined && { lastError: status.lastError }),
    summary: summary(status, event, previous),
    action: nextStepFor(status),
    at: new Date(now).toISOString(),
  };
}

/** The alert state an alert leaves the company in. */
export const alertStateAfter = (alert: StatusAlert): AlertState =>
  alert.event === 'recovered' ? 'OK' : (alert.status as AlertState);
