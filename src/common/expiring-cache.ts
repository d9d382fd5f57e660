// Pure: a Map and numbers the caller supplies, no clock of its own.
/** Values that go stale at a time given on `set`, at most `maxEntries` of them (the least recently set go first). */
export class ExpiringCache<K, V> {
  private readonly entries = new Map<K, { value: V; freshUntil: number }>();

  constructor(private readonly maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be a positive integer');
  }

  get size(): number {
    return this.entries.size;
  }

  /** The value if it is still fresh at `now`; a stale one is dropped. */
  get(key: K, now: number): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (now < entry.freshUntil) return entry.value;
    this.entries.delete(key);
    return undefined;
  }

  set(key: K, value: V, freshUntil: number): void {
    this.entries.delete(key);
    this.entries.set(key, { value, freshUntil });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }

  delete(key: K): void {
    this.entries.delete(key);
  }

  /** Drops every key `matches` accepts. */
  deleteWhere(matches: (key: K) => boolean): void {
    for (const key of this.entries.keys()) if (matches(key)) this.entries.delete(key);
  }
}
