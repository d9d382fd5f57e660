import { loadConfig } from '../../src/config';
import { workerDrainMs } from '../../src/worker/create-worker';

/** What a worker needs after its drain to close its connections and exit. */
export const EXIT_MARGIN_MS = 10_000;

/** Seconds of a compose duration (`30s`, `1m30s`, `2m`). */
export function durationSeconds(text: string): number {
  const match = /^(?:(\d+)m)?(?:(\d+)s)?$/.exec(text.trim());
  if (!match || (!match[1] && !match[2])) throw new Error(`not a duration: ${text}`);
  return Number(match[1] ?? 0) * 60 + Number(match[2] ?? 0);
}

/**
 * Why `graceSeconds` (how long the platform waits after SIGTERM before it kills the worker) cannot cover the drain of
 * a worker configured with `env`, or undefined when it does.
 */
export function graceProblem(graceSeconds: number, env: Record<string, string>): string | undefined {
  const config = loadConfig({
    PLUM_HTTP_TIMEOUT_MS: env.PLUM_HTTP_TIMEOUT_MS,
    PLUM_HANDOVER_TIMEOUT_MS: env.PLUM_HANDOVER_TIMEOUT_MS,
  });
  const drainMs = workerDrainMs(config.httpTimeoutMs);
  const handoverMs = config.rollout.handoverTimeoutMs;
  const neededMs = handoverMs + drainMs + EXIT_MARGIN_MS;
  if (graceSeconds * 1000 >= neededMs) return undefined;
  return (
    `a grace period of ${graceSeconds} s is shorter than the worker's handover (${handoverMs / 1000} s, ` +
    `PLUM_HANDOVER_TIMEOUT_MS), drain of ${drainMs / 1000} s (PLUM_HTTP_TIMEOUT_MS + 5 s) and ` +
    `${EXIT_MARGIN_MS / 1000} s to exit: a stop during a handover strands keepers, one during a refresh loses its reply`
  );
}
