// Pure and deterministic (a Map and promises): used by clients and by workflow code alike.
/** Runs at most one `load` per key at a time; concurrent callers share its promise. */
export class SingleFlight<K, V> {
  private readonly flights = new Map<K, Promise<V>>();

  run(key: K, load: () => Promise<V>): Promise<V> {
    const running = this.flights.get(key);
    if (running) return running;
    const flight = load().finally(() => this.flights.delete(key));
    this.flights.set(key, flight);
    return flight;
  }
}
