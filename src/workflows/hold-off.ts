import * as wf from '@temporalio/workflow';
import type { CompanyKeeper } from './keeper';
import { PATCHES } from './patches';
import { formatDetails } from './publication';
import { holdOff } from './refresh-machine';

/**
 * The spacing holds the refresh past the held token's expiry (Plum's lifetime is shorter than the spacing): said in
 * the status and the UI's details, where people look, and logged. Issues no command.
 */
function sayIfHeldPastExpiry(keeper: CompanyKeeper, releaseAt: number): void {
  const { accessTokenExpiresAt: expiresAt, obtainedAt } = keeper.state.tokens;
  if (expiresAt === undefined || releaseAt <= expiresAt) return;
  const lifetimeS = Math.round((expiresAt - obtainedAt) / 1000);
  const message =
    `refresh held until ${new Date(releaseAt).toISOString()} by the minimum interval between rotations ` +
    `(PLUM_MIN_ROTATION_INTERVAL_MS ${keeper.config.minRotationIntervalMs} ms): Plum's token lifetime (${lifetimeS} s) ` +
    `is shorter than it, so the access token expires at ${new Date(expiresAt).toISOString()} first`;
  wf.log.warn(message);
  // Not lastError, and not published: search attributes are upserted when lastError changes, a command histories of
  // this path do not hold. The status answers it at once; the UI's details are set without a command.
  keeper.state.rotationHeld = message;
  wf.setCurrentDetails(formatDetails(keeper.statusResult()));
}

/**
 * Waits out Plum's rate-limit penalty and the minimum spacing between rotations before a refresh, forced ones
 * included; returns whether it waited (the loop then looks again). A retire or reseed ends the wait. Each wait is
 * patched: histories recorded before it refreshed at once.
 */
export async function holdOffRefresh(keeper: CompanyKeeper): Promise<boolean> {
  const { penaltyMs, spacingMs } = holdOff(keeper.state, Date.now(), keeper.config.minRotationIntervalMs);
  const penalty = penaltyMs > 0 && keeper.patches.has(PATCHES.forcedRefreshWaitsForPenalty) ? penaltyMs : 0;
  const spacing = spacingMs > 0 && keeper.patches.has(PATCHES.minRotationInterval) ? spacingMs : 0;
  const waitMs = Math.max(penalty, spacing);
  delete keeper.state.rotationHeld;
  if (waitMs === 0) return false;
  const why = penalty >= spacing ? 'Plum’s rate-limit penalty' : 'the minimum interval between rotations';
  wf.log.info(`refresh held off for ${why}`, { waitMs });
  if (spacing > penalty) sayIfHeldPastExpiry(keeper, Date.now() + waitMs);
  keeper.wakeForReseed = false;
  await wf.condition(() => keeper.retired || keeper.wakeForReseed, waitMs, { summary: `wait for ${why}` });
  return true;
}
