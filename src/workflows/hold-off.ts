import * as wf from '@temporalio/workflow';
import type { CompanyKeeper } from './company-keeper';
import { formatDetails } from './publication';
import { holdOff } from './refresh-machine';

/**
 * Says that the spacing holds the refresh until `releaseAt`, in the status and the UI's details (no command), so a
 * forced rotation does not wait in silence. Past the held token's expiry (Plum's lifetime is shorter than the
 * spacing) it is also logged, and the company is DEGRADED until the refresh runs (and alerted).
 */
function sayHeld(keeper: CompanyKeeper, releaseAt: number): void {
  const { accessTokenExpiresAt: expiresAt, obtainedAt } = keeper.state.tokens;
  const held =
    `refresh held until ${new Date(releaseAt).toISOString()} by the minimum interval between rotations ` +
    `(PLUM_MIN_ROTATION_INTERVAL_MS ${keeper.config.minRotationIntervalMs} ms)`;
  if (expiresAt === undefined || releaseAt <= expiresAt) {
    keeper.state.rotationHeld = held;
    wf.setCurrentDetails(formatDetails(keeper.statusResult()));
    return;
  }
  const lifetimeS = Math.round((expiresAt - obtainedAt) / 1000);
  const message = `${held}: Plum's token lifetime (${lifetimeS} s) is shorter than it, so the access token expires at ${new Date(expiresAt).toISOString()} first`;
  wf.log.warn(message);
  keeper.state.rotationHeld = message;
  if (keeper.state.status === 'ACTIVE') {
    keeper.state = { ...keeper.state, status: 'DEGRADED', lastError: message, retryAt: releaseAt };
    keeper.publish();
    return;
  }
  wf.setCurrentDetails(formatDetails(keeper.statusResult()));
}

/**
 * Waits out Plum's rate-limit penalty and the minimum spacing between rotations before a refresh, forced ones
 * included; returns whether it waited (the loop then looks again). A retire or reseed ends the wait.
 */
export async function holdOffRefresh(keeper: CompanyKeeper): Promise<boolean> {
  const { penaltyMs, spacingMs } = holdOff(keeper.state, Date.now(), keeper.config.minRotationIntervalMs);
  const penalty = Math.max(0, penaltyMs);
  const spacing = Math.max(0, spacingMs);
  const waitMs = Math.max(penalty, spacing);
  delete keeper.state.rotationHeld;
  if (waitMs === 0) return false;
  const why = penalty >= spacing ? 'Plum’s rate-limit penalty' : 'the minimum interval between rotations';
  wf.log.info(`refresh held off for ${why}`, { waitMs });
  if (spacing > penalty) sayHeld(keeper, Date.now() + waitMs);
  keeper.wakeForReseed = false;
  await wf.condition(() => keeper.retired || keeper.wakeForReseed, waitMs, { summary: `wait for ${why}` });
  return true;
}
