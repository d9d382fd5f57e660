import * as wf from '@temporalio/workflow';
import type { TokenStatus } from '../contract';

// Emitted through the SDK's workflow meter, which stays silent during replay. Labelled by outcome and status, never by
// company: 10,000 companies must not make 10,000 series.

/** A refresh installed a new token set. */
export function countRotation(): void {
  wf.metricMeter.createCounter('plum_keeper_rotations', 'rotations', 'token sets rotated').add(1);
}

/** A company's status changed to `status`. */
export function countStatusChange(status: TokenStatus): void {
  wf.metricMeter
    .createCounter('plum_keeper_status_transitions', 'transitions', 'status changes, by the status entered')
    .add(1, { status });
}

/** Plum rotated the set but its reply never reached a worker (`LOST_IN_FLIGHT`). */
export function countLostInFlight(): void {
  wf.metricMeter
    .createCounter('plum_keeper_lost_in_flight', 'events', 'rotations whose reply was lost before any worker saw it')
    .add(1);
}

/** A user-token request: served from the workflow's cache, exchanged with Plum, or refused. */
export function countUserTokenRequest(result: 'cache_hit' | 'exchanged' | 'failed'): void {
  wf.metricMeter
    .createCounter('plum_keeper_user_token_requests', 'requests', 'user-token requests by result')
    .add(1, { result });
}
