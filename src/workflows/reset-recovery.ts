import * as wf from '@temporalio/workflow';
import type { HeldSetSnapshot, PlumActivities } from '../contract';
import { failureMessage } from './workflow-failures';
import type { KeeperCell } from './keeper-cell';
import type { CompanyState } from './state';
import { afterResetRecovery } from './transitions';

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
 * Before a reset run spends anything, it reads the newest set the run it replaced held: a Reset replays from an old
 * state whose refresh token Plum has long since rotated. `unrecovered`: it could not read it.
 */
async function readReplacedRunSet(): Promise<{ snapshot: HeldSetSnapshot | null; unrecovered: boolean }> {
  try {
    const { workflowId, runId } = wf.workflowInfo();
    return { snapshot: await newestHeldSet({ workflowId, runId }), unrecovered: false };
  } catch (error) {
    wf.log.error('reset run could not read the newest set from the run it replaced: reseed', {
      error: failureMessage(error),
    });
    return { snapshot: null, unrecovered: true };
  }
}

/** A run made by a Reset takes the newest set the replaced run held before it spends anything (once, at start-up). */
export async function recoverAfterReset(cell: KeeperCell): Promise<void> {
  if (!isResetRun()) return;
  const { snapshot, unrecovered } = await readReplacedRunSet();
  const before = cell.state;
  cell.set(afterResetRecovery(before, snapshot, unrecovered));
  if (!unrecovered && cell.state !== before) {
    wf.log.warn('reset run took the newest set from the run it replaced', { generation: cell.state.generation });
  }
  cell.publish();
}
