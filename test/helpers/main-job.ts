import type { Child } from './child';
import { startNode } from './child';

/** The main job (`npm start`) in a child process, with its output collected. */
export interface MainJob extends Child {
  /** Sends `signal` and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `src/worker.ts` with only `env` (no inherited PLUM_ or TEMPORAL_ variables). */
export function startMainJob(env: Record<string, string>): MainJob {
  const job = startNode(['--import', 'tsx', 'src/worker.ts'], env);
  return {
    ...job,
    async stop(signal = 'SIGTERM') {
      if (job.child.exitCode === null) job.child.kill(signal);
      return job.exited;
    },
  };
}
