import * as wf from '@temporalio/workflow';
import type { CompanyKeeper } from './keeper';
import { PATCHES } from './patches';
import { holdOff } from './refresh-machine';

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
  if (waitMs === 0) return false;
  const why = penalty >= spacing ? 'Plum’s rate-limit penalty' : 'the minimum interval between rotations';
  wf.log.info(`refresh held off for ${why}`, { waitMs });
  keeper.wakeForReseed = false;
  await wf.condition(() => keeper.retired || keeper.wakeForReseed, waitMs, { summary: `wait for ${why}` });
  return true;
}
