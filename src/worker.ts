import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { connectNative } from './temporal/connect-native';
import type { CredentialSource } from './activities/credentials';
import { FileCredentialSource, StaticCredentialSource } from './activities/credentials';
import { TokenKeeperClient } from './client/token-keeper-client';
import type { CodecServer } from './codec/codec-server';
import { createDataConverter } from './codec/data-converter';
import type { KeyRings } from './config/key-ring';
import { TASK_QUEUE, workflowIdFor } from './contract';
import type { Config } from './config';
import { ConfigError, exitOnConfigProblems, loadConfigOrExit } from './config';
import { startCodecServer } from './config/start-codec-server';
import { clientFromConfig, connectionOptionsFor } from './config/temporal-client';
import { createLog } from './logging/log';
import { PlumClient } from './plum/client';
import { PlumSandbox } from './sandbox/plum-sandbox';
import { locateTemporalCli } from './temporal/cli-locator';
import { DevServer, freePort } from './temporal/dev-server';
import { startSdkDownloadedServer } from './temporal/sdk-download-server';
import { createKeeperWorker, keeperReplayOptions } from './worker/create-worker';
import { keeperWorkflowBundle } from './worker/workflow-bundle';
import { Rollout } from './worker/rollout';
import { stopOnSignals } from './worker/stop-on-signals';
import { assertServerMovesPinnedRuns } from './deployment/server-support';
import { installRuntime } from './worker/runtime';
import { AlertWebhook } from './activities/alert-webhook';
import type { Monitoring } from './monitoring/start-monitoring';
import { startMonitoring } from './monitoring/start-monitoring';
import { checkWorkerStartOrExit } from './main/worker-start-checks';

const DEMO_COMPANY = 'demo-company';
/** Replaced by one at the configured level as soon as the configuration is read. */
let log = createLog('main');

interface Started {
  address: string;
  namespace: string;
  uiUrl?: string;
  stop: () => Promise<void>;
}

/** In embedded mode the dev server's UI decrypts through a codec server (loopback unless configured otherwise). */
async function startEmbeddedCodecServer(config: Config, rings: KeyRings): Promise<CodecServer | undefined> {
  if (config.temporal.mode !== 'embedded') return undefined;
  try {
    const started = await startCodecServer(config, rings.payload, rings.enrolment?.publicKey);
    log.info(started.description);
    return started.server;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    exitOnConfigProblems(error.problems);
    throw error;
  }
}

async function startTemporal(config: Config, uiCodecEndpoint?: string): Promise<Started> {
  if (config.temporal.mode === 'external') {
    const { connectionOptions } = config.temporal.connect;
    return {
      address: connectionOptions.address ?? 'localhost:7233',
      namespace: config.temporal.namespace,
      stop: async () => {},
    };
  }
  const cliPath = await locateTemporalCli({ log: (line) => log.info(line) });
  if (!cliPath) {
    log.warn('No temporal CLI and no Go to install it: trying the Temporal SDK’s own download of the dev server');
    const downloaded = await startSdkDownloadedServer({
      dbFile: join(config.dataDir, 'temporal.sqlite'),
      namespace: config.temporal.namespace,
      port: config.temporal.port,
      uiPort: config.temporal.uiPort,
      ...(uiCodecEndpoint && { uiCodecEndpoint }),
    });
    return { ...downloaded, namespace: config.temporal.namespace };
  }
  const server = await DevServer.start({
    cliPath,
    dbFile: join(config.dataDir, 'temporal.sqlite'),
    namespace: config.temporal.namespace,
    port: config.temporal.port,
    uiPort: config.temporal.uiPort,
    ...(uiCodecEndpoint && { uiCodecEndpoint }),
  });
  return {
    address: server.address,
    namespace: server.namespace,
    ...(server.uiUrl && { uiUrl: server.uiUrl }),
    stop: () => server.stop(),
  };
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logOptions = { level: config.logLevel, format: config.logFormat };
  log = createLog('main', logOptions);
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
    const dataConverter = createDataConverter(rings.payload, rings.tokens, rings.enrolment);
    // The UI's codec server gets the payload ring only (tokens stay sealed) and the enrolment public key.
    const codecServer = await startEmbeddedCodecServer(config, rings);
    if (codecServer) stops.unshift(() => codecServer.stop());
    const temporal = await startTemporal(config, codecServer?.url);
    stops.unshift(temporal.stop);

    let plumUrl: string;
    let credentials: CredentialSource = new FileCredentialSource(
      config.plum.credentialsFile,
      config.plum.defaultCredentials,
    );
    let sandbox: PlumSandbox | undefined;
    if (config.plum.mode === 'sandbox') {
      sandbox = await PlumSandbox.start({
        accessLifetimeMs: config.demoTokenLifetimeMs,
        refreshLifetimeMs: config.demoTokenLifetimeMs * 8,
      });
      stops.unshift(() => sandbox!.stop());
      plumUrl = sandbox.url;
      // The demo company's credentials come from the sandbox; other companies seeded into it from the usual places.
      credentials = new StaticCredentialSource(new Map(), credentials);
    } else {
      plumUrl = config.plum.baseUrl;
    }

    const native = await connectNative(connectionOptionsFor(config, temporal.address));
    stops.unshift(() => native.close());
    const client = await clientFromConfig(config, { payload: rings.payload, tokens: rings.tokens }, temporal.address);
    stops.unshift(() => client.connection.close());
    if (config.deployment)
      log.info(`Temporal server ${await assertServerMovesPinnedRuns(client)} moves pinned keepers`);
    const workflowBundle = await keeperWorkflowBundle((line) => log.info(line));
    const worker = await createKeeperWorker({
      connection: native,
      namespace: temporal.namespace,
      plum: new PlumClient({ baseUrl: plumUrl, timeoutMs: config.httpTimeoutMs }),
      credentials,
      settings: { policy: config.policy, minRotationIntervalMs: config.minRotationIntervalMs },
      activitiesPerSecond: config.refreshActivitiesPerSecond,
      maxCachedWorkflows: config.maxCachedWorkflows,
      dataConverter,
      workflowBundle,
      ...(config.deployment && { deployment: config.deployment }),
      ...(config.alertWebhook && { alerts: new AlertWebhook({ ...config.alertWebhook, timeoutMs: 10_000 }) }),
    });
    const rollout =
      config.deployment &&
      new Rollout({
        client,
        version: config.deployment,
        taskQueue: TASK_QUEUE,
        policy: config.rollout,
        replayOptions: keeperReplayOptions(workflowBundle, dataConverter),
        log: { info: (line) => log.info(line), warn: (line) => log.warn(line) },
      });
    let monitoring: Monitoring | undefined;
    if (config.metrics && exporterAddress) {
      monitoring = await startMonitoring({
        config: config.metrics,
        exporterAddress,
        client,
        worker,
        ...(config.deployment && {
          deployment: { ...config.deployment, pollStaleMs: config.rollout.pollStaleMs },
          rollout,
        }),
        warn: (message, meta) => log.warn(message, meta),
      });
      stops.unshift(() => monitoring!.stop());
    }

    printBanner(config, temporal, plumUrl, sandbox !== undefined, codecServer?.url, monitoring?.url);
    log.info('worker polling; Ctrl-C drains it and stops');
    stopOnSignals(worker, rollout, { info: (line) => log.info(line), warn: (line) => log.warn(line) });
    const running = worker.run();
    if (rollout) void rollout.start().catch((error: unknown) => log.warn(`rollout: ${String(error)}`));
    if (sandbox && credentials instanceof StaticCredentialSource) {
      await enrolDemo(config, client, sandbox, credentials);
      log.info(`demo company "${DEMO_COMPANY}" enrolled: npx plum-keeper status ${DEMO_COMPANY}`);
    }
    await running;
    await stopAll();
    log.info('stopped');
    process.exit(0);
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/**
 * Enrols the demo company in the sandbox; after a restart (the sandbox forgot its tokens, the SQLite state did not)
 * the running workflow is reseeded instead.
 */
async function enrolDemo(
  config: Config,
  client: Client,
  sandbox: PlumSandbox,
  credentials: StaticCredentialSource,
): Promise<void> {
  const seeded = await sandbox.seedCompany({
    companyId: DEMO_COMPANY,
    clientId: 'demo-client',
    clientSecret: 'demo-secret',
  });
  credentials.set(DEMO_COMPANY, { clientId: seeded.clientId, clientSecret: seeded.clientSecret });
  const lifetimeMs = config.demoTokenLifetimeMs;
  // Enrol-or-reseed: after a restart the sandbox has new tokens and the running workflow takes them.
  await new TokenKeeperClient({ client }).enrol(DEMO_COMPANY, seeded.tokens, {
    minLeadMs: Math.min(60_000, Math.floor(lifetimeMs / 4)),
  });
}

function printBanner(
  config: Config,
  temporal: Started,
  plumUrl: string,
  sandbox: boolean,
  codecUrl?: string,
  metricsUrl?: string,
): void {
  const lines = [
    '',
    '  plum-token-keeper is running',
    `  Temporal : ${temporal.address} (${config.temporal.mode === 'embedded' ? 'EMBEDDED dev server, state in ' + config.dataDir : 'external'}), namespace ${temporal.namespace}`,
    ...(temporal.uiUrl ? [`  UI       : ${temporal.uiUrl}/namespaces/${temporal.namespace}/workflows`] : []),
    `  Plum     : ${plumUrl}${sandbox ? '  <-- LOCAL SANDBOX, NOT THE REAL PLUM (set PLUM_BASE_URL for production)' : ''}`,
    `  Queue    : ${TASK_QUEUE}`,
    `  Build    : ${buildLine(config)}`,
    ...(metricsUrl
      ? [`  Metrics  : ${metricsUrl}/metrics   health: ${metricsUrl}/healthz   ready: ${metricsUrl}/readyz`]
      : []),
    ...(codecUrl
      ? [
          `  Codec    : ${codecUrl} (payloads are AES-256-GCM encrypted; the UI decrypts state through it, tokens stay sealed)`,
        ]
      : []),
    ...(sandbox
      ? [
          `  Demo     : company "${DEMO_COMPANY}", enrolled right after this banner (a line says when); its tokens live ${Math.round(config.demoTokenLifetimeMs / 1000)} s and rotate at half-life.`,
          `  Try      : temporal workflow query --address ${temporal.address} --workflow-id ${workflowIdFor(DEMO_COMPANY)} --type status --codec-endpoint ${codecUrl ?? '<codec-server-url>'}`,
        ]
      : []),
    '',
  ];
  // JSON logs stay one object per line for collectors: the banner becomes one log entry there.
  if (config.logFormat === 'json') {
    log.info('plum-token-keeper is running', {
      temporal: temporal.address,
      namespace: temporal.namespace,
      plum: plumUrl,
      sandbox,
      taskQueue: TASK_QUEUE,
      build: config.deployment?.buildId ?? 'unversioned',
      ...(metricsUrl && { metrics: `${metricsUrl}/metrics` }),
    });
    return;
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** The banner's build line: the version this worker joins and how new builds take over, or why it runs unversioned. */
function buildLine(config: Config): string {
  if (config.deployment) {
    return `${config.deployment.buildId} of Worker Deployment ${config.deployment.deploymentName} (PLUM_ROLLOUT=${config.rollout.mode})`;
  }
  return config.temporal.mode === 'embedded'
    ? 'unversioned: the embedded dev server cannot move pinned keepers; a restart with new code replays their histories on it'
    : 'unversioned (PLUM_WORKER_VERSIONING=off): stop every old worker before new ones start';
}

main().catch((error: unknown) => {
  process.stderr.write(`plum-token-keeper: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
