import type { Worker } from '@temporalio/worker';
import { PlumClient } from '../../src/plum/client';
import { createKeeperWorker } from '../../src/worker/create-worker';
import type { KeeperEnv } from './keeper-env';
import { TEST_DATA_CONVERTER, TEST_SETTINGS, workflowBundle } from './keeper-env';

/** A keeper worker of the test suite on `taskQueue`, versioned when `build` is given, polling once this resolves. */
export async function startKeeperWorker(
  env: KeeperEnv,
  taskQueue: string,
  build?: { deploymentName: string; buildId: string },
): Promise<{ worker: Worker; running: Promise<void>; stop: () => Promise<void> }> {
  const worker = await createKeeperWorker({
    connection: env.native,
    namespace: env.server.namespace,
    taskQueue,
    plum: new PlumClient({ baseUrl: env.sandbox.url, timeoutMs: 1500 }),
    credentials: env.credentials,
    settings: TEST_SETTINGS,
    workflowBundle: await workflowBundle(),
    dataConverter: TEST_DATA_CONVERTER,
    ...(build && { deployment: build }),
  });
  const running = worker.run();
  return {
    worker,
    running,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
  };
}
