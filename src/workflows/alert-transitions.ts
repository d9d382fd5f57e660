import type { AlertState, StatusAlert, StatusResult } from '../contract';
import { ALERT_STATES, workflowIdFor } from '../contract';

/** The alert state `status` puts a company in; `REFRESHING` and `RETIRED` leave it as it was. */
export function alertStateOf(status: StatusResult['status'], previous: AlertState): AlertState {
  if ((ALERT_STATES as readonly string[]).includes(status)) return status as AlertState;
  return status === 'ACTIVE' ? 'OK' : previous;
}

function action(status: StatusResult): string {
  const id = status.companyId;
  switch (status.status) {
    case 'NEEDS_REAUTH':
      return `generate new tokens in the Plum dashboard (Settings → API), then run: plum-keeper reseed ${id} --tokens-file FILE`;
    case 'EXPIRED':
      return `the keeper keeps retrying; see why with: plum-keeper status ${id} (is Plum reachable? are the credentials valid?), then: plum-keeper rotate ${id} --wait`;
    case 'DEGRADED':
      return status.reason === 'NO_CREDENTIALS'
        ? `add the company's API client to PLUM_CREDENTIALS_FILE (or set PLUM_CLIENT_ID/PLUM_CLIENT_SECRET); the keeper retries on its own`
        : `none yet: the keeper retries on its own while the access token is valid; watch it with: plum-keeper status ${id}`;
    default:
      return 'nothing to do';
  }
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
    action: action(status),
    at: new Date(now).toISOString(),
  };
}

/** The alert state an alert leaves the company in. */
export const alertStateAfter = (alert: StatusAlert): AlertState =>
  alert.event === 'recovered' ? 'OK' : (alert.status as AlertState);
