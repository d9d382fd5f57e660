import { Context } from '@temporalio/activity';
import { PlumError } from '../plum/errors';

export type PlumEndpoint = 'refresh' | 'user_token' | 'validate';

/**
 * Runs one Plum call and records it through the activity's metric meter: calls by endpoint and outcome class, latency,
 * and rate-limit penalties. No company label: per-company detail lives in visibility.
 */
export async function measured<T>(endpoint: PlumEndpoint, call: () => Promise<T>): Promise<T> {
  const started = performance.now();
  let outcome = 'ok';
  try {
    return await call();
  } catch (error) {
    outcome = error instanceof PlumError ? error.outcome : 'error';
    throw error;
  } finally {
    const meter = Context.current().metricMeter;
    const tags = { endpoint, outcome };
    meter.createCounter('plum_keeper_upstream_calls', 'calls', 'Plum calls by endpoint and outcome class').add(1, tags);
    meter
      .createHistogram('plum_keeper_upstream_latency', 'float', 'seconds', 'Plum call latency')
      .record((performance.now() - started) / 1000, tags);
    if (outcome === 'rate_limited') {
      meter
        .createCounter('plum_keeper_rate_limit_penalties', 'penalties', 'Plum rate-limit answers (HTTP 429)')
        .add(1, { endpoint });
    }
  }
}
