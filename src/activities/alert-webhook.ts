import { createHmac, timingSafeEqual } from 'node:crypto';
import type { StatusAlert } from '../contract';
import { ALERT_SIGNATURE_HEADER, ALERT_TIMESTAMP_HEADER } from '../contract';

/** The receiver did not take the alert; the activity is retried. Names the webhook's origin only, never its path. */
export class AlertDeliveryError extends Error {
  override readonly name = 'AlertDeliveryError';
}

/** `sha256=` + hex HMAC-SHA256 of `<timestamp>.<body>`: what {@link ALERT_SIGNATURE_HEADER} carries. */
export function alertSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** How far an alert's timestamp may be from the receiver's clock by default: older alerts may be replays. */
export const DEFAULT_ALERT_FRESHNESS_SECONDS = 300;

/**
 * True when `signature` is the one `secret` gives for this timestamp and body (constant-time comparison) and the
 * timestamp (seconds since the epoch) is within `windowSeconds` of `nowMs`: a captured alert cannot be replayed later.
 */
export function verifyAlertSignature(
  secret: string,
  timestamp: string,
  body: string,
  signature: string,
  options: { windowSeconds?: number; nowMs?: number } = {},
): boolean {
  if (!/^\d{1,12}$/.test(timestamp)) return false;
  const window = options.windowSeconds ?? DEFAULT_ALERT_FRESHNESS_SECONDS;
  if (Math.abs((options.nowMs ?? Date.now()) / 1000 - Number(timestamp)) > window) return false;
  const expected = Buffer.from(alertSignature(secret, timestamp, body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export interface AlertWebhookOptions {
  url: string;
  /** The HMAC key (`PLUM_ALERT_WEBHOOK_SECRET` or its `_FILE`). */
  secret: string;
  timeoutMs: number;
}

/** Posts status alerts, signed, to one URL. */
export class AlertWebhook {
  private readonly origin: string;

  constructor(private readonly options: AlertWebhookOptions) {
    this.origin = new URL(options.url).origin;
  }

  async send(alert: StatusAlert): Promise<void> {
    const body = JSON.stringify(alert);
    const timestamp = String(Math.floor(Date.now() / 1000));
    let response: Response;
    try {
      response = await fetch(this.options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'plum-token-keeper',
          [ALERT_TIMESTAMP_HEADER]: timestamp,
          [ALERT_SIGNATURE_HEADER]: alertSignature(this.options.secret, timestamp, body),
        },
        body,
        // A redirect would re-send the body and a valid signature to another origin; and a login page answering
        // 200 after a 302 is not a delivery. Only a 2xx from this URL counts.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
      throw new AlertDeliveryError(`alert webhook at ${this.origin} is unreachable (${cause})`);
    }
    await response.body?.cancel();
    if (response.status < 200 || response.status > 299) {
      const redirect = response.status >= 300 && response.status < 400 ? ' (a redirect: not followed)' : '';
      throw new AlertDeliveryError(`alert webhook at ${this.origin} answered HTTP ${response.status}${redirect}`);
    }
  }
}
