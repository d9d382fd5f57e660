import * as wf from '@temporalio/workflow';

/**
 * Patch ids of workflow behaviour added after histories were recorded. Each guards a change of commands; a history
 * recorded before it replays the old way. Never rename one.
 */
export const PATCHES = {
  /** A repeated enrolment with the set already held changes nothing. */
  reseedWithHeldSetIsNoOp: 'reseed-with-held-set-is-a-no-op',
  /** A refresh whose attempts all timed out after heartbeating Plum's reply installs that reply. */
  savedReplyOfTimedOutRefresh: 'saved-reply-of-timed-out-refresh',
  /** `refreshNow` and `forceRefresh` wait for Plum's rate-limit penalty instead of calling into it. */
  forcedRefreshWaitsForPenalty: 'forced-refresh-waits-for-penalty',
  /** Rotations are spaced by the worker's `minRotationIntervalMs`. */
  minRotationInterval: 'min-rotation-interval',
  /** Tokens that reached the workflow unencrypted are rotated at once, so the leaked refresh token dies. */
  rotateAfterUnencryptedTokens: 'rotate-after-unencrypted-tokens',
  /** A run made by a Reset takes the newest set from the run it replaced before it spends anything. */
  recoverAfterReset: 'recover-after-reset',
  /** Status transitions into and out of DEGRADED, EXPIRED and NEEDS_REAUTH are posted to the alert webhook. */
  statusAlerts: 'status-alerts',
  /**
   * Every patch above applies to this run, decided once in its first activation. A run's first local activity can be
   * split from the code after it across two workflow tasks (a query arriving while it runs does it), and a patch
   * decided right after it then does not replay; runs under this patch decide nothing there.
   */
  allAboveFromStart: 'all-above-from-start',
  /**
   * A run that started unversioned (or on another build) and now runs on a versioned worker continues as new at its
   * next wake, so it reads the worker's settings again (`versioning.ts`). Not
   * covered by the one above: runs of 0.1.0 recorded that patch without knowing this one.
   */
  continueAsNewWhenMoved: 'continue-as-new-when-moved-to-a-new-build',
  /**
   * Alerts never hold a run back: it continues as new with undelivered alerts carried (the next run sends them
   * again), and a retired run waits for them at most `RETIRE_ALERT_GRACE_MS`. Asked where it applies.
   */
  alertsNeverHoldBack: 'alerts-never-hold-back',
  /**
   * Tokens that reached history encrypted but unsealed (a reseed through the codec server, a run written before
   * sealing existed) are rotated at once, as unencrypted ones are. Asked where it applies (`leaked-tokens.ts`).
   */
  rotateAfterUnsealedTokens: 'rotate-after-unsealed-tokens',
  /**
   * A reseed that replaces a working set keeps that set until a refresh proves the new one, and falls back to it when
   * Plum refuses the new one. Asked where it applies (`reseed.ts`).
   */
  reseedKeepsWorkingSet: 'reseed-keeps-the-working-set',
  /**
   * A refresh the rotation spacing holds past the token's expiry makes the company DEGRADED (published, alerted) until
   * it runs. Asked where it applies (`hold-off.ts`).
   */
  rotationHoldDegrades: 'rotation-hold-degrades',
  /**
   * Every patch of this table applies to this run, decided once in its first activation, as `all-above-from-start`
   * does for the first seven. The four asked where they apply wedged runs: a query that split the first workflow task
   * left `rotate-after-unsealed-tokens`, asked right after the first local activity, where the replayer does not look.
   */
  everyPatchFromStart: 'every-patch-from-start',
} as const;

/** The decisions a from-start patch makes; the from-start patches themselves are asked only in the first activation. */
export type PatchId = Exclude<
  (typeof PATCHES)[keyof typeof PATCHES],
  typeof PATCHES.allAboveFromStart | typeof PATCHES.everyPatchFromStart | typeof PATCHES.continueAsNewWhenMoved
>;

/** The patches `all-above-from-start` decides; the rest were added after it. */
const DECIDED_BY_ALL_ABOVE: ReadonlySet<PatchId> = new Set([
  PATCHES.reseedWithHeldSetIsNoOp,
  PATCHES.savedReplyOfTimedOutRefresh,
  PATCHES.forcedRefreshWaitsForPenalty,
  PATCHES.minRotationInterval,
  PATCHES.rotateAfterUnencryptedTokens,
  PATCHES.recoverAfterReset,
  PATCHES.statusAlerts,
]);

/**
 * One run's patch decisions, made in the run's first activation before any await: a query can split any later
 * workflow task, and a patch asked first in a split task does not replay. A run started by this code takes every
 * patch without asking again. Histories recorded before `every-patch-from-start` ask for the others where they apply,
 * as they did when they were recorded. The only `wf.patched` calls of the workflow are here and in `versioning.ts`
 * (which records an observation of the build, not a code change); `test/architecture` holds that.
 */
export class RunPatches {
  private readonly allAboveFromStart = wf.patched(PATCHES.allAboveFromStart);
  private readonly everyFromStart = wf.patched(PATCHES.everyPatchFromStart);

  has(id: PatchId): boolean {
    if (this.everyFromStart) return true;
    if (this.allAboveFromStart && DECIDED_BY_ALL_ABOVE.has(id)) return true;
    return wf.patched(id);
  }
}
