import type { TokenPair } from '../../src/sandbox/store';

/**
 * How long a worker may hold Plum's reply before its heartbeat (the durable copy) has surely reached Temporal, on an
 * idle machine. A loaded one adds its scheduling stalls (`stallMs`): a worker descheduled for a second cannot record
 * anything in that second (a clean-clone CI run, two test files beside a Temporal server on two cores, saw it).
 */
export const HEARTBEAT_REACH_MS = 1000;

/** A rotation Plum made whose token set the keeper never took. */
export interface Orphan {
  issuedAt: number;
  /** True when the reply was in flight at the kill: no worker can have recorded it (inherent, counted apart). */
  inFlightAtKill: boolean;
  /** How long before the kill Plum issued the pair (negative: after it), printed so a failing run shows its timing. */
  issuedBeforeKillMs: number;
}

/** A request still in the kernel's buffers when its sender died may reach the sandbox this long after the kill. */
export const DELIVERY_AFTER_KILL_MS = 50;

/**
 * A worker frozen (SIGSTOP) after its refresh attempt passed the stall check but before the request was written
 * writes it when it thaws: the request reaches the sandbox this long (plus the round's longest stall) after SIGCONT.
 * No code on the worker can take back a write it had begun; attempts handed over during the freeze are the stall
 * watch's job and have their own test (test/activities/stalled-worker.test.ts).
 */
export const DELIVERY_AFTER_THAW_MS = 1000;

/**
 * The rotations of one round the keeper never took: pairs issued since `pairsBefore` that were neither spent by a
 * later rotation nor are the token the keeper serves now. A pair was in flight at the kill when its request reached
 * Plum before the kill (so the killed worker sent it), or right after a frozen worker thawed (`thawAt`), and Plum issued it no earlier than `HEARTBEAT_REACH_MS` (plus
 * the round's longest stall) before the kill (so its reply cannot have been recorded). Judged by arrival, not by issue time: a loaded machine delays the
 * sandbox's injected latency, never when the request came in.
 */
export function orphansOf(
  pairs: readonly TokenPair[],
  pairsBefore: number,
  served: string | undefined,
  window: { accessLifetimeMs: number; killAt: number; stallMs?: number; thawAt?: number },
): Orphan[] {
  const stallMs = window.stallMs ?? 0;
  const reachMs = HEARTBEAT_REACH_MS + stallMs;
  const writtenOnThaw = (requestedAt: number) =>
    window.thawAt !== undefined &&
    requestedAt >= window.thawAt &&
    requestedAt <= window.thawAt + DELIVERY_AFTER_THAW_MS + stallMs;
  return pairs.slice(pairsBefore).flatMap((pair) => {
    if (pair.spentAt !== undefined || pair.accessToken === served) return [];
    const issuedAt = pair.accessExpiresAt - window.accessLifetimeMs;
    const requestedAt = pair.requestedAt ?? issuedAt;
    const sentBeforeKill = requestedAt <= window.killAt + DELIVERY_AFTER_KILL_MS || writtenOnThaw(requestedAt);
    const inFlightAtKill = sentBeforeKill && issuedAt >= window.killAt - reachMs;
    return [{ issuedAt, inFlightAtKill, issuedBeforeKillMs: window.killAt - issuedAt }];
  });
}
