import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import type { CredentialSource } from './activities/credentials';
import { FileCredentialSource, StaticCredentialSource } from './activities/credentials';
import type { Config } from './config';
import { loadConfigOrExit } from './config';
import { createKeeperWorker } from './keeper/create-worker';
import { enrolCompany } from './keeper/enrol';
import { createLog } from './log';
import { PlumClient } from './plum/client';
import { PlumSandbox } from './sandbox/plum-sandbox';
import { locateTemporalCli } from './temporal/cli-locator';
import { DevServer } from './temporal/dev-server';
import { TASK_QUEUE, reseedUpdate, workflowIdFor } from './workflows/messages';

const DEMO_COMPANY = 'demo-company';
const log = createLog('main');

interface Started {
  address: string;
  namespace: string;
  uiUrl?: string;
  stop: () => Promise<void>;
}

async function startTemporal(config: Config): Promise<Started> {
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
    throw new Error(
      'The embedded Temporal server needs the temporal CLI and none was found, nor Go to install it. ' +
        'Install Go (then run npm start again), or set TEMPORAL_CLI_PATH to a temporal binary, or TEMPORAL_ADDRESS to a running server.',
    );
  }
  const server = await DevServer.start({
    cliPath,
    dbFile: join(config.dataDir, 'temporal.sqlite'),
    namespace: config.temporal.namespace,
    port: config.temporal.port,
    uiPort: config.temporal.uiPort,
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
  Runtime.install({ logger: new DefaultLogger(config.logLevel === 'debug' ? 'DEBUG' : 'WARN') });
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0)) await stop().catch((e: unknown) => log.error(`stopping: ${String(e)}`));
  };

  try {
    const temporal = await startTemporal(config);
    stops.unshift(temporal.stop);

    let plumUrl: string;
    let credentials: CredentialSource;
    let sandbox: PlumSandbox | undefined;
    if (config.plum.mode === 'sandbox') {
      sandbox = await PlumSandbox.start({
        accessLifetimeMs: config.demoTokenLifetimeMs,
        refreshLifetimeMs: config.demoTokenLifetimeMs * 8,
      });
      stops.unshift(() => sandbox!.stop());
      plumUrl = sandbox.url;
      credentials = new StaticCredentialSource();
    } else {
      plumUrl = config.plum.baseUrl;
      credentials = new FileCredentialSource(config.plum.credentialsFile, config.plum.defaultCredentials);
    }

    const native =
      config.temporal.mode === 'external'
        ? await NativeConnection.connect(config.temporal.connect.connectionOptions)
        : await NativeConnection.connect({ address: temporal.address });
    stops.unshift(() => native.close());
    const worker = await createKeeperWorker({
      connection: native,
      namespace: temporal.namespace,
      plum: new PlumClient({ baseUrl: plumUrl, timeoutMs: config.httpTimeoutMs }),
      credentials,
      settings: { policy: config.policy },
      activitiesPerSecond: config.refreshActivitiesPerSecond,
    });

    printBanner(config, temporal, plumUrl, sandbox !== undefined);
    log.info('worker polling; Ctrl-C drains it and stops');
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info(`${signal} received: draining the worker`);
      worker.shutdown();
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    const running = worker.run();
    if (sandbox && credentials instanceof StaticCredentialSource) {
      await enrolDemo(temporal, sandbox, credentials, config.demoTokenLifetimeMs);
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
  temporal: Started,
  sandbox: PlumSandbox,
  credentials: StaticCredentialSource,
  lifetimeMs: number,
): Promise<void> {
  const connection = await Connection.connect({ address: temporal.address });
  try {
    const client = new Client({ connection, namespace: temporal.namespace });
    const handle = client.workflow.getHandle(workflowIdFor(DEMO_COMPANY));
    const running = await handle
      .describe()
      .then((d) => d.status.name === 'RUNNING')
      .catch(() => false);
    const seeded = await sandbox.seedCompany({
      companyId: DEMO_COMPANY,
      clientId: 'demo-client',
      clientSecret: 'demo-secret',
    });
    credentials.set(DEMO_COMPANY, { clientId: seeded.clientId, clientSecret: seeded.clientSecret });
    if (running) await handle.executeUpdate(reseedUpdate, { args: [{ tokens: seeded.tokens }] });
    else
      await enrolCompany(client, {
        companyId: DEMO_COMPANY,
        tokens: seeded.tokens,
        policy: { minLeadMs: Math.min(60_000, Math.floor(lifetimeMs / 4)) },
      });
  } finally {
    await connection.close();
  }
}

function printBanner(config: Config, temporal: Started, plumUrl: string, sandbox: boolean): void {
  const lines = [
    '',
    '  plum-token-keeper is running',
    `  Temporal : ${temporal.address} (${config.temporal.mode === 'embedded' ? 'EMBEDDED dev server, state in ' + config.dataDir : 'external'}), namespace ${temporal.namespace}`,
    ...(temporal.uiUrl ? [`  UI       : ${temporal.uiUrl}/namespaces/${temporal.namespace}/workflows`] : []),
    `  Plum     : ${plumUrl}${sandbox ? '  <-- LOCAL SANDBOX, NOT THE REAL PLUM (set PLUM_BASE_URL for production)' : ''}`,
    `  Queue    : ${TASK_QUEUE}`,
    ...(sandbox
      ? [
          `  Demo     : company "${DEMO_COMPANY}" enrolled; its tokens live ${Math.round(config.demoTokenLifetimeMs / 1000)} s and rotate at half-life.`,
          `  Try      : temporal workflow query --address ${temporal.address} --workflow-id ${workflowIdFor(DEMO_COMPANY)} --type status`,
        ]
      : []),
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`plum-token-keeper: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
