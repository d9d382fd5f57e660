import * as wf from '@temporalio/workflow';
import type { KeeperSinks, TokenStatus, UserTokenOutcome } from '../contract';

// Counted through the keeper's own sink, which the SDK never calls during replay; the worker labels each series
// (snake_case, like the SDK's) and exports every one at 0 from its start. Labelled by outcome and status, never by
// company: 10,000 companies must not make 10,000 series.
const { keeperMetrics } = wf.proxySinks<KeeperSinks>();

/** A refresh installed a new token set. */
export function countRotation(): void {
  keeperMetrics.count('plum_keeper_rotations', {});
}

/** A company's status changed to `status`. */
export function countStatusChange(status: TokenStatus): void {
  keeperMetrics.count('plum_keeper_status_transitions', { status });
}

/** Plum rotated the set but its reply never reached a worker (`LOST_IN_FLIGHT`). */
export function countLostInFlight(): void {
  keeperMetrics.count('plum_keeper_lost_in_flight', {});
}

/** A user-token request: served from the workflow's cache, exchanged with Plum, or refused. */
export function countUserTokenRequest(result: UserTokenOutcome): void {
  keeperMetrics.count('plum_keeper_user_token_requests', { result });
}
