import type { StatusReason, TokenStatus } from './status';

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

/** How long a retired keeper waits for its last alerts to be delivered before it completes anyway. */
export const RETIRE_ALERT_GRACE_MS = 60_000;
