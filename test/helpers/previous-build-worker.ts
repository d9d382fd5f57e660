import { fork } from 'node:child_process';
import { once } from 'node:events';
import type { LabBuild } from '../../chaos/lib/lab';
import { TEST_KEY_ENV_VARS } from './codec';

/** A worker of another build (chaos/lib/builds.ts `prepareBuild`) in a child process, with the test key rings. */
export interface BuildWorker {
  /** Resolves once the worker polls; rejects if it exited first. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

/** Starts `build`'s worker on `taskQueue` against Temporal at `temporalAddress` and the Plum at `plumUrl`. */
export function startBuildWorker(
  build: Pick<LabBuild, 'workerScript' | 'bundlePath'>,
  target: { temporalAddress: string; plumUrl: string; credentialsFile: string; taskQueue: string },
): BuildWorker {
  const worker = fork(build.workerScript, {
    env: {
      ...process.env,
      ...TEST_KEY_ENV_VARS,
      TEMPORAL_ADDRESS: target.temporalAddress,
      PLUM_BASE_URL: target.plumUrl,
      PLUM_CREDENTIALS_FILE: target.credentialsFile,
      CHAOS_TASK_QUEUE: target.taskQueue,
      CHAOS_BUNDLE: build.bundlePath,
    },
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const exited = once(worker, 'exit');
  const ready = Promise.race([once(worker, 'message'), exited.then(() => ['exited'])]).then(([said]) => {
    if (said !== 'ready') throw new Error(`the worker of ${build.workerScript} exited before it polled`);
  });
  return {
    ready,
    async stop() {
      if (worker.exitCode === null) worker.kill('SIGTERM');
      await exited;
    },
  };
}
