import type { UpstreamEndpoint, UpstreamOutcome } from '../contract';
import { PlumError } from '../plum/errors';

/** Where Plum calls are recorded (the worker's `KeeperMetrics`). No company label: per-company detail lives in visibility. */
export interface UpstreamRecorder {
  recordUpstreamCall(endpoint: UpstreamEndpoint, outcome: UpstreamOutcome, seconds: number): void;
}

/** Runs one Plum call and records it: calls by endpoint and outcome class, latency, and rate-limit penalties. */
export async function measured<T>(
  recorder: UpstreamRecorder | undefined,
  endpoint: UpstreamEndpoint,
  call: () => Promise<T>,
): Promise<T> {
  const started = performance.now();
  let outcome: UpstreamOutcome = 'ok';
  try {
    return await call();
  } catch (error) {
    outcome = error instanceof PlumError ? error.outcome : 'error';
    throw error;
  } finally {
    recorder?.recordUpstreamCall(endpoint, outcome, (performance.now() - started) / 1000);
  }
}
