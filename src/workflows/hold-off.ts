import * as wf from '@temporalio/workflow';
import type { KeeperCell } from './keeper-cell';
import type { CompanyState } from './state';
import { holdForSpacing } from './transitions';

/** What holds a refresh back, and for how long; `spacing` when the minimum interval between rotations is the longer wait. */
export interface HoldOff {
  waitMs: number;
  why: string;
  spacing?: { message: string; releaseAt: number; pastExpiry: boolean };
}

/**
 * Plum's rate-limit penalty (forced refreshes wait for it too) and the minimum spacing between rotations, before a
 * refresh may start at `now`; undefined when it may start now. Past the held token's expiry (Plum's lifetime is
 * shorter than the spacing) the message says so.
 */
export function holdOffFor(state: CompanyState, now: number, minRotationIntervalMs: number): HoldOff | undefined {
  const penaltyMs = Math.max(0, (state.penaltyUntil ?? now) - now);
  const spacingMs =
    minRotationIntervalMs > 0 && state.lastRefreshAt !== undefined
      ? Math.max(0, state.lastRefreshAt + minRotationIntervalMs - now)
      : 0;
  const waitMs = Math.max(penaltyMs, spacingMs);
  if (waitMs === 0) return undefined;
  if (penaltyMs >= spacingMs) return { waitMs, why: 'Plum’s rate-limit penalty' };
  const releaseAt = now + waitMs;
  const { accessTokenExpiresAt: expiresAt, obtainedAt } = state.tokens;
  const held =
    `refresh held until ${new Date(releaseAt).toISOString()} by the minimum interval between rotations ` +
    `(PLUM_MIN_ROTATION_INTERVAL_MS ${minRotationIntervalMs} ms)`;
  const pastExpiry = expiresAt !== undefined && releaseAt > expiresAt;
  const message = pastExpiry
    ? `${held}: Plum's token lifetime (${Math.round((expiresAt - obtainedAt) / 1000)} s) is shorter than it, so the access token expires at ${new Date(expiresAt).toISOString()} first`
    : held;
  return { waitMs, why: 'the minimum interval between rotations', spacing: { message, releaseAt, pastExpiry } };
}

/**
 * Waits out what holds the refresh back, forced ones included; returns whether it waited (the loop then looks again).
 * A retire or a wake request ends the wait.
 */
export async function holdOffRefresh(cell: KeeperCell): Promise<boolean> {
  const hold = holdOffFor(cell.state, Date.now(), cell.config.minRotationIntervalMs ?? 0);
  const { rotationHeld: _released, ...released } = cell.state;
  cell.set(released);
  if (!hold) return false;
  wf.log.info(`refresh held off for ${hold.why}`, { waitMs: hold.waitMs });
  if (hold.spacing) {
    if (hold.spacing.pastExpiry) wf.log.warn(hold.spacing.message);
    cell.set(holdForSpacing(cell.state, hold.spacing));
    cell.publish();
  }
  cell.takeWake();
  await wf.condition(() => cell.retired || cell.wakePending, hold.waitMs, { summary: `wait for ${hold.why}` });
  return true;
}
