import * as wf from '@temporalio/workflow';
import type { PlumActivities, WorkerSettings } from '../contract';
import type { KeeperCell } from './keeper-cell';
import { countLostInFlight, countRotation } from './metrics';
import type { CompanyState } from './state';
import type { RefreshOutcome } from './transitions';
import { afterRefresh, settleReseed, startAttempt } from './transitions';
import { classifyRefreshFailure, failureKind, savedReplyOf } from './workflow-failures';

const activities = wf.proxyActivities<PlumActivities>({ startToCloseTimeout: '1 minute' });

/**
 * Spends the held refresh token through the activity, once (the activity retries a call that never reached Plum),
 * and says how it ended. A reply Plum gave and the activity heartbeated counts even when no attempt's completion
 * reached the server.
 */
export async function refreshOnce(state: CompanyState, settings: WorkerSettings): Promise<RefreshOutcome> {
  try {
    const tokens = await activities.refreshCompanyToken.executeWithOptions(
      {
        startToCloseTimeout: settings.activityStartToCloseMs,
        heartbeatTimeout: settings.activityHeartbeatTimeoutMs,
        retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 3 },
        summary: `refresh: rotation ${state.generation + 1}`,
      },
      [{ companyId: state.companyId, refreshToken: state.tokens.refreshToken }],
    );
    return { kind: 'ok', tokens };
  } catch (error) {
    const saved = savedReplyOf(error);
    if (saved) {
      wf.log.warn('refresh timed out after Plum answered; taking the saved reply');
      return { kind: 'ok', tokens: saved };
    }
    wf.log.warn('refresh failed', { type: failureKind(error), failures: state.consecutiveFailures + 1 });
    return classifyRefreshFailure(error);
  }
}

/** One refresh attempt, once nothing else is: its outcome moves the state through the transitions. */
export async function attemptRefresh(cell: KeeperCell): Promise<void> {
  await cell.idle();
  if (cell.retired) return;
  cell.enter('refreshing');
  cell.set(startAttempt(cell.state));
  cell.attempts.started += 1;
  cell.publish();
  const outcome = await refreshOnce(cell.state, cell.config);
  const before = cell.state;
  const now = Date.now();
  const refreshed = afterRefresh(before, outcome, { now, random: Math.random, timing: cell.config });
  const settled = settleReseed(refreshed, outcome, now);
  cell.set(settled.state);
  if (settled.refused) {
    cell.reseedRefusals.set(before.generation, settled.state.lastError ?? 'Plum refused the reseeded set');
    wf.log.error('Plum refused the reseeded set; the set held before the reseed is kept');
  }
  if (outcome.kind === 'ok') {
    countRotation();
    wf.log.info('token set refreshed', { generation: settled.state.generation });
  }
  if (settled.state.reason === 'LOST_IN_FLIGHT' && before.reason !== 'LOST_IN_FLIGHT') countLostInFlight();
  if (settled.state.status === 'NEEDS_REAUTH') {
    wf.log.error('company needs re-authorisation in the Plum dashboard', { reason: settled.state.reason });
  }
  cell.attempts.completed += 1;
  cell.leave('refreshing');
  cell.publish();
}
