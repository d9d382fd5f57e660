// The keeper's process: the production worker against the Temporal server the environment names, or, when none is
// named, the embedded demo around it (`npm start`: dev server, codec server, Plum sandbox, a demo company).
import { FileCredentialSource } from './activities/credentials';
import { createDataConverter } from './codec/data-converter';
import { loadConfigOrExit } from './config';
import { clientFromConfig, connectionOptionsFor } from './connection/client-from-config';
import { connectNative } from './connection/connect-native';
import { freePort } from './dev-server/dev-server';
import { createLog } from './logging/log';
import { printBanner } from './main/banner';
import {
  DEMO_COMPANY,
  demoCredentials,
  enrolDemo,
  retireEarlierReleaseDemo,
  startDemoSandbox,
  startEmbeddedTemporal,
} from './main/embedded-demo';
import { startKeeperWorker } from './worker/keeper-worker';
import { checkWorkerStartOrExit } from './main/worker-start-checks';
import { installRuntime } from './worker/runtime';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logOptions = { level: config.logLevel, format: config.logFormat };
  const log = createLog('main', logOptions);
  // The SDK's exporter listens on a free loopback port; the monitoring server serves it on PLUM_METRICS_PORT.
  const exporterAddress = config.metrics ? `127.0.0.1:${await freePort()}` : undefined;
  installRuntime({
    log: createLog('temporal', logOptions),
    level: config.logLevel,
    ...(exporterAddress && { prometheusAddress: exporterAddress }),
  });
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0)) await stop().catch((e: unknown) => log.error(`stopping: ${String(e)}`));
  };
  try {
    const rings = checkWorkerStartOrExit(config, (line) => log.info(line));
    const { temporal } = config;
    const embedded = temporal.mode === 'embedded' ? await startEmbeddedTemporal(config, rings, log) : undefined;
    if (embedded) stops.unshift(...embedded.stops);
    const sandbox = config.plum.mode === 'sandbox' ? await startDemoSandbox(config) : undefined;
    if (sandbox) stops.unshift(() => sandbox.stop());
    const named = temporal.mode === 'external' ? temporal.connect.connectionOptions.address : undefined;
    const address = embedded?.address ?? named ?? 'localhost:7233';
    const namespace = embedded?.namespace ?? temporal.namespace;
    const fileCredentials = new FileCredentialSource(config.plum.credentialsFile, config.plum.defaultCredentials);
    const demo = sandbox && demoCredentials(fileCredentials);
    const plumUrl = sandbox?.url ?? (config.plum.mode === 'upstream' ? config.plum.baseUrl : '');
    // The native connection first: when Temporal refuses it, its message names the setting that fixes it.
    const native = await connectNative(connectionOptionsFor(config, address));
    stops.unshift(() => native.close());
    const client = await clientFromConfig(config, { payload: rings.payload, tokens: rings.tokens }, address);
    stops.unshift(() => client.connection.close());
    if (sandbox) await retireEarlierReleaseDemo(config, client, log);
    const worker = await startKeeperWorker({
      config,
      client,
      native,
      namespace,
      plumUrl,
      credentials: demo ?? fileCredentials,
      dataConverter: createDataConverter(rings.payload, rings.tokens, rings.enrolment),
      exporterAddress,
      log,
    });
    stops.unshift(...worker.stops);
    const facts = { address, namespace, plumUrl, sandbox: sandbox !== undefined, metricsUrl: worker.metricsUrl };
    printBanner(config, { ...facts, uiUrl: embedded?.uiUrl, codecUrl: embedded?.codecUrl }, log);
    log.info('worker polling; Ctrl-C drains it and stops');
    if (sandbox && demo) {
      await enrolDemo(config, client, sandbox, demo);
      log.info(`demo company "${DEMO_COMPANY}" enrolled: npx plum-keeper status ${DEMO_COMPANY}`);
    }
    await worker.running;
    await stopAll();
    log.info('stopped');
    process.exit(0);
  } catch (error) {
    await stopAll();
    throw error;
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`plum-token-keeper: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
