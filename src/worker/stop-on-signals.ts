import type { Worker } from '@temporalio/worker';
import type { Rollout } from './rollout';

/**
 * On SIGINT or SIGTERM: a versioned worker first hands its keepers over (`Rollout.handOver`: only when its build is no
 * longer current), then the worker drains as before. A second signal changes nothing: the drain is already under way.
 */
export function stopOnSignals(
  worker: Worker,
  rollout: Rollout | undefined,
  log: { info: (line: string) => void; warn: (line: string) => void },
): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(
      `${signal} received${rollout ? ': handing keepers over if this build is no longer current, then' : ':'} draining the worker`,
    );
    if (rollout) await rollout.handOver().catch((error: unknown) => log.warn(`handover failed: ${String(error)}`));
    worker.shutdown();
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}
