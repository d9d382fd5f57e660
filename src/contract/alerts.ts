import type { StatusReason, StatusResult, TokenStatus } from './status';

/** The states an operator is alerted about; `OK` is the recovery from any of them. */
export const ALERT_STATES = ['DEGRADED', 'EXPIRED', 'NEEDS_REAUTH'] as const;
export type AlertState = (typeof ALERT_STATES)[number] | 'OK';

/**
 * What the alert webhook receives (JSON, signed): one per transition into or out of an alert state, never a token.
 * `id` is stable across retries of the same alert, so a receiver can drop duplicates.
 */
export interface StatusAlert {
  id: string;
  event: 'entered' | 'recovered';
  companyId: string;
  workflowId: string;
  status: TokenStatus;
  /** The alert state left (on `recovered`) or the one before (on `entered`). */
  previous: AlertState;
  reason?: StatusReason;
  lastError?: string;
  /** One sentence: what happened. */
  summary: string;
  /** What to do, with the exact command. */
  action: string;
  /** ISO time of the transition. */
  at: string;
}

/** Headers of a signed alert: `sha256=` + hex HMAC-SHA256 of `<timestamp>.<body>` under the webhook secret. */
export const ALERT_SIGNATURE_HEADER = 'x-plum-keeper-signature';
export const ALERT_TIMESTAMP_HEADER = 'x-plum-keeper-timestamp';

/**
 * What an operator does about a company in `status`, with the exact command: the alert's `action` and the line the
 * CLI's `status` prints under a company that needs attention.
 */
export function nextStepFor(status: Pick<StatusResult, 'companyId' | 'status' | 'reason' | 'rotationHeld'>): string {
  const id = status.companyId;
  switch (status.status) {
    case 'NEEDS_REAUTH':
      return `generate new tokens in the Plum dashboard (Settings → API), then run: plum-keeper reseed ${id} --tokens-file FILE`;
    case 'EXPIRED':
      return `the keeper keeps retrying; see why with: plum-keeper status ${id} (is Plum reachable? are the credentials valid?), then: plum-keeper rotate ${id} --wait`;
    case 'DEGRADED':
      if (status.rotationHeld !== undefined)
        return `set PLUM_MIN_ROTATION_INTERVAL_MS on the workers below Plum's token lifetime and restart them; the keeper refreshes on its own once the interval passes (plum-keeper status ${id})`;
      return status.reason === 'NO_CREDENTIALS'
        ? `add the company's API client to PLUM_CREDENTIALS_FILE (or set PLUM_CLIENT_ID/PLUM_CLIENT_SECRET); the keeper retries on its own`
        : `none yet: the keeper retries on its own while the access token is valid; watch it with: plum-keeper status ${id}`;
    default:
      return 'nothing to do';
  }
}

/** How long a retired keeper waits for its last alerts to be delivered before it completes anyway. */
export const RETIRE_ALERT_GRACE_MS = 60_000;
