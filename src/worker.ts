import { join } from 'node:path';
import { loadConfigOrExit } from './config';
import { createLog } from './log';
import { PlumSandbox } from './sandbox/plum-sandbox';
import { DevServer } from './temporal/dev-server';
import { locateTemporalCli } from './temporal/cli-locator';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const log = createLog('main', config.logLevel);
  const stops: (() => Promise<void>)[] = [];

  let address: string;
  if (config.temporal.mode === 'embedded') {
    const cliPath = await locateTemporalCli({ log: (line) => log.info(line) });
    if (!cliPath)
      throw new Error('No temporal CLI and no Go to install it: set TEMPORAL_CLI_PATH or TEMPORAL_ADDRESS.');
    const server = await DevServer.start({
      cliPath,
      dbFile: join(config.dataDir, 'temporal.sqlite'),
      namespace: config.temporal.namespace,
      port: 7233,
      uiPort: config.temporal.uiPort,
    });
    stops.unshift(() => server.stop());
    address = server.address;
    log.info(`Embedded Temporal dev server at ${address}, UI at ${server.uiUrl}`);
  } else {
    address = config.temporal.connect.connectionOptions.address ?? 'localhost:7233';
  }

  if (config.plum.mode === 'sandbox') {
    const sandbox = await PlumSandbox.start({ accessLifetimeMs: 180_000, refreshLifetimeMs: 600_000 });
    stops.unshift(() => sandbox.stop());
    log.warn(`NO PLUM_BASE_URL: running against the local Plum SANDBOX at ${sandbox.url}, not the real Plum.`);
  }

  log.info(`Ready (Temporal at ${address}). Ctrl-C to stop.`);
  const shutdown = async () => {
    for (const stop of stops) await stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());
}

main().catch((error: unknown) => {
  process.stderr.write(`plum-token-keeper: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
