import * as wf from '@temporalio/workflow';
import type { HeldSetSnapshot, PlumActivities } from '../contract';
import { failureMessage } from './workflow-failures';
import type { CompanyKeeper } from './company-keeper';
import { afterResetRecovery } from './refresh-machine';
import type { CompanyState } from './state';

const { newestHeldSet } = wf.proxyActivities<PlumActivities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 5 },
  summary: 'recover the newest token set after a reset',
});

/** A run made by a Reset (of the UI or `temporal workflow reset`) keeps the original run id of its chain. */
const isResetRun = (): boolean => {
  const info = wf.workflowInfo();
  return info.runId !== info.originalExecutionRunId;
};

/** Whether this run was made by a Reset and has not yet looked for a newer set (synchronous: no await otherwise). */
export const resetCheckDue = (keeper: CompanyKeeper): boolean => !keeper.resetChecked && isResetRun();

/** The internal `keeperHeldState` query's answer, for the run that replaces this one after a Reset. */
export function heldSnapshot(state: CompanyState): HeldSetSnapshot {
  const { status, reason, generation, upstreamRefreshes, tokens, spentRefreshTokens } = state;
  return {
    status,
    generation,
    upstreamRefreshes,
    tokens,
    ...(reason && { reason }),
    ...(spentRefreshTokens && { spentRefreshTokens }),
  };
}

/**
 * Before a reset run spends anything, it takes the newest set from the run it replaced: a Reset replays from an old
 * state whose refresh token Plum has long since rotated. Runs once per run; returns whether the state changed.
 */
export async function recoverAfterReset(keeper: CompanyKeeper): Promise<boolean> {
  keeper.resetChecked = true;
  const before: CompanyState = keeper.state;
  let snapshot: HeldSetSnapshot | null = null;
  let unrecovered = false;
  try {
    snapshot = await newestHeldSet({ workflowId: wf.workflowInfo().workflowId, runId: wf.workflowInfo().runId });
  } catch (error) {
    unrecovered = true;
    wf.log.error('reset run could not read the newest set from the run it replaced: reseed', {
      error: failureMessage(error),
    });
  }
  keeper.state = afterResetRecovery(keeper.state, snapshot, unrecovered);
  if (!unrecovered && keeper.state !== before) {
    wf.log.warn('reset run took the newest set from the run it replaced', { generation: keeper.state.generation });
  }
  keeper.publish();
  return keeper.state !== before;
}
