/**
 * Notices when this process stopped running for a while: a paused VM, SIGSTOP, a stall far longer than any GC pause.
 * While a worker is stopped, Temporal times out the attempts it was handed (and hands it retries through the polls
 * it left open); on waking it must not send any of them, or it spends a refresh token a live attempt is spending.
 */
export class StallWatch {
  private lastTickAt: number;
  private resumedAt = Number.NEGATIVE_INFINITY;

  /**
   * @param thresholdMs a gap this long between ticks counts as a stall (half the refresh activity's heartbeat
   *   timeout: a shorter stall cannot have outlived an attempt that had not yet sent its call)
   */
  constructor(
    private readonly thresholdMs: number,
    private readonly now: () => number = Date.now,
    tickMs = 250,
  ) {
    this.lastTickAt = now();
    setInterval(() => this.tick(), tickMs).unref();
  }

  /** Records a stall that ended now; also called by {@link resumedSince}, which may run before the interval does. */
  tick(): void {
    const now = this.now();
    if (now - this.lastTickAt >= this.thresholdMs) this.resumedAt = now;
    this.lastTickAt = now;
  }

  /** Whether the process came out of a stall at or after `since` (an attempt's scheduled time). */
  resumedSince(since: number): boolean {
    this.tick();
    return this.resumedAt >= since;
  }
}

const watches = new Map<number, StallWatch>();

/** The process's watch for `thresholdMs`: one timer however many workers (and activity sets) a process makes. */
export function stallWatchFor(thresholdMs: number): StallWatch {
  let watch = watches.get(thresholdMs);
  if (!watch) watches.set(thresholdMs, (watch = new StallWatch(thresholdMs)));
  return watch;
}
