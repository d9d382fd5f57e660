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

/** True when `signature` is the one `secret` gives for this timestamp and body (constant-time comparison). */
export function verifyAlertSignature(secret: string, timestamp: string, body: string, signature: string): boolean {
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
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
      throw new AlertDeliveryError(`alert webhook at ${this.origin} is unreachable (${cause})`);
    }
    await response.body?.cancel();
    if (!response.ok) throw new AlertDeliveryError(`alert webhook at ${this.origin} answered HTTP ${response.status}`);
  }
}
