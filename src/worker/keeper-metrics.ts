import type { MetricCounter, MetricHistogram, MetricMeter } from '@temporalio/common';
import type { InjectedSinks } from '@temporalio/worker';
import { Runtime } from '@temporalio/worker';
import type { UpstreamRecorder } from '../activities/upstream-metrics';
import type { KeeperCounter, KeeperSinks, UpstreamEndpoint, UpstreamOutcome } from '../contract';
import { KEEPER_COUNTERS } from '../contract';

/** Every combination of a counter's label values: the series it exports. */
function labelSets(labels: Record<string, readonly string[]>): Record<string, string>[] {
  return Object.entries(labels).reduce<Record<string, string>[]>(
    (sets, [name, values]) => sets.flatMap((set) => values.map((value) => ({ ...set, [name]: value }))),
    [{}],
  );
}

/**
 * The keeper's metrics on the runtime's meter (one Prometheus registry with the SDK's), labelled in snake_case like
 * the SDK's own: `namespace` and `task_queue` on every series. Workflows count through its sink; activities record
 * Plum calls through it.
 */
export class KeeperMetrics implements UpstreamRecorder {
  private readonly counters = new Map<KeeperCounter, MetricCounter>();
  private readonly latency: MetricHistogram;

  constructor(
    meter: MetricMeter,
    private readonly labels: { namespace: string; task_queue: string },
  ) {
    for (const [name, { unit, help }] of Object.entries(KEEPER_COUNTERS))
      this.counters.set(name as KeeperCounter, meter.createCounter(name, unit, help));
    this.latency = meter.createHistogram('plum_keeper_upstream_latency', 'float', 'seconds', 'Plum call latency');
  }

  /** Exports every counter series at 0, so a rate or an increase sees the first event. */
  startAtZero(): this {
    for (const [name, { labels }] of Object.entries(KEEPER_COUNTERS))
      for (const set of labelSets(labels)) this.counters.get(name as KeeperCounter)?.add(0, { ...this.labels, ...set });
    return this;
  }

  count(counter: KeeperCounter, labels: Record<string, string>): void {
    this.counters.get(counter)?.add(1, { ...this.labels, ...labels });
  }

  recordUpstreamCall(endpoint: UpstreamEndpoint, outcome: UpstreamOutcome, seconds: number): void {
    this.count('plum_keeper_upstream_calls', { endpoint, outcome });
    this.latency.record(seconds, { ...this.labels, endpoint, outcome });
    if (outcome === 'rate_limited') this.count('plum_keeper_rate_limit_penalties', { endpoint });
  }

  /** The sinks workflows reach the worker through: counts (never during replay) and refusals (logged as errors). */
  sinks(): InjectedSinks<KeeperSinks> {
    return {
      keeperMetrics: {
        count: { fn: (_info, counter, labels) => this.count(counter, labels), callDuringReplay: false },
      },
      keeperRefusals: {
        refused: {
          fn: (info, message) => Runtime.instance().logger.error(message, { workflowId: info.workflowId }),
          callDuringReplay: true,
        },
      },
    };
  }
}

/**
 * The keeper's sinks for a replay worker: registered, so replays log no "unregistered sink"; counts are never made,
 * refusals go to `onRefusal` (none by default).
 */
export function replaySinks(onRefusal: (message: string) => void = () => undefined): InjectedSinks<KeeperSinks> {
  return {
    keeperMetrics: { count: { fn: () => undefined, callDuringReplay: false } },
    keeperRefusals: { refused: { fn: (_info, message) => onRefusal(message), callDuringReplay: true } },
  };
}
