import type { NativeConnection, Worker } from '@temporalio/worker';

/**
 * Runs a keeper worker as a child of the bench or the chaos suite: drains on SIGTERM, exits when its parent dies
 * without stopping it (no worker outlives its run), and says `ready` over IPC once it polls (and `ready` resolved).
 */
export async function serveAsChild(
  worker: Worker,
  connection: NativeConnection,
  options: { ready?: Promise<void>; ownSignals?: boolean } = {},
): Promise<void> {
  if (!options.ownSignals) {
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      worker.shutdown();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  }
  process.on('disconnect', () => process.exit(1));
  const running = worker.run();
  await options.ready;
  process.send?.('ready');
  await running;
  await connection.close();
}

/** Runs a child's main and exits with its outcome. */
export function runChild(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
