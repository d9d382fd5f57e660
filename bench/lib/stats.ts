import { performance } from 'node:perf_hooks';

/** Latency percentiles of one series, in milliseconds. */
export interface Percentiles {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

export function percentiles(samplesMs: readonly number[]): Percentiles {
  if (samplesMs.length === 0) return { n: 0, p50: NaN, p99: NaN, max: NaN };
  const sorted = Float64Array.from(samplesMs).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { n: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1]! };
}

/** Times `count` sequential calls of `fn`, one sample per call. */
export async function timeEach(count: number, fn: (i: number) => Promise<unknown>): Promise<Percentiles> {
  const samples = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await fn(i);
    samples[i] = performance.now() - start;
  }
  return percentiles(Array.from(samples));
}

/** Runs `fn` over `items` with at most `limit` calls in flight. */
export async function inParallel<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(lanes);
}

/** Polls `check` every `everyMs` until it is true or `timeoutMs` passes; says which. */
export async function waitUntil(check: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 50) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return check();
}

export const formatMs = (ms: number): string =>
  !Number.isFinite(ms)
    ? 'n/a'
    : ms < 0.01
      ? `${(ms * 1000).toFixed(2)} µs`
      : ms < 1
        ? `${(ms * 1000).toFixed(0)} µs`
        : `${ms.toFixed(1)} ms`;

export const describePercentiles = (p: Percentiles): string =>
  `p50 ${formatMs(p.p50)}, p99 ${formatMs(p.p99)} (n=${p.n.toLocaleString('en')})`;
