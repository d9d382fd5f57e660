/** A sliding-window limiter per key that, once tripped, refuses everything until its penalty has passed. */
export class RateLimiter {
  private readonly hits = new Map<string, number[]>();
  private readonly penaltyUntil = new Map<string, number>();

  constructor(private readonly now: () => number) {}

  /** Records a call; returns 0 when allowed, else the milliseconds of penalty left. */
  hit(key: string, limit: number, windowMs: number, penaltyMs: number): number {
    if (limit <= 0) return 0;
    const now = this.now();
    const until = this.penaltyUntil.get(key) ?? 0;
    if (now < until) return until - now;
    const recent = (this.hits.get(key) ?? []).filter((t) => t > now - windowMs);
    if (recent.length >= limit) {
      this.penaltyUntil.set(key, now + penaltyMs);
      this.hits.set(key, []);
      return penaltyMs;
    }
    recent.push(now);
    this.hits.set(key, recent);
    return 0;
  }
}
