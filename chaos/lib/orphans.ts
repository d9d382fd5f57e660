import type { TokenPair } from '../../src/sandbox/store';

/** How long a worker may hold Plum's reply before its heartbeat (the durable copy) has surely reached Temporal. */
export const HEARTBEAT_REACH_MS = 1000;

/** A rotation Plum made whose token set the keeper never took. */
export interface Orphan {
  issuedAt: number;
  /** True when the reply was in flight at the kill: no worker can have recorded it (inherent, counted apart). */
  inFlightAtKill: boolean;
}

/**
 * The rotations of one round the keeper never took: pairs issued since `pairsBefore` that were neither spent by a
 * later rotation nor are the token the keeper serves now. A pair issued between `HEARTBEAT_REACH_MS` before the kill
 * and the last moment a request of the killed worker could still be answered was in flight at the kill.
 */
export function orphansOf(
  pairs: readonly TokenPair[],
  pairsBefore: number,
  served: string | undefined,
  window: { accessLifetimeMs: number; killAt: number; lastAnswerAt: number },
): Orphan[] {
  return pairs.slice(pairsBefore).flatMap((pair) => {
    if (pair.spentAt !== undefined || pair.accessToken === served) return [];
    const issuedAt = pair.accessExpiresAt - window.accessLifetimeMs;
    const inFlightAtKill = issuedAt >= window.killAt - HEARTBEAT_REACH_MS && issuedAt <= window.lastAnswerAt;
    return [{ issuedAt, inFlightAtKill }];
  });
}
