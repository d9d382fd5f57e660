import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { Command, InvalidArgumentError } from 'commander';
import { TokenKeeperClient } from '../../src/client';
import { connectTemporalClient } from '../../src/client/temporal-client';
import { parseKeyRing } from '../../src/codec/key-ring';
import { Cluster } from './cluster';
import { SERVER_VERSION } from './temporal-server';

const DEMO = 'demo-company';

function count(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 16) {
    throw new InvalidArgumentError('must be a whole number from 1 to 16');
  }
  return Number(value);
}

async function main(): Promise<void> {
  const program = new Command('npm run cluster --')
    .description(
      `The production topology on loopback: PostgreSQL, Temporal ${SERVER_VERSION} as four services, the Plum sandbox, the codec server and N keeper workers.`,
    )
    .option('--workers <n>', 'keeper workers on the plum-tokens task queue', count, 2)
    .option('--data-dir <dir>', 'PostgreSQL data and the credentials file', '.data/cluster')
    .option('--tls', 'the frontend requires mutual TLS, with a test CA and certificates made in DATA_DIR/tls (openssl)')
    .parse();
  const options = program.opts<{ workers: number; dataDir: string; tls?: boolean }>();
  const log = (line: string) => process.stdout.write(`cluster: ${line}\n`);
  const cluster = await Cluster.start({
    dataDir: options.dataDir,
    workers: options.workers,
    log,
    tls: options.tls === true,
  });
  let stopping: Promise<void> | undefined;
  const stop = (signal: string) => {
    stopping ??= (async () => {
      log(`${signal}: stopping workers, codec server, Temporal services, sandbox, PostgreSQL`);
      await cluster.stop();
      log('stopped; no process left behind');
      process.exit(0);
    })();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));

  const seeded = await cluster.sandbox.seedCompany({ companyId: DEMO });
  cluster.writeCredentials({ [DEMO]: seeded });
  const client = await connectTemporalClient({
    // The same variables the workers and the CLI read (TLS included), through Temporal's environment configuration.
    connectionOptions: loadClientConnectConfig({ overrideEnvVars: cluster.keeperEnv() }).connectionOptions,
    namespace: cluster.namespace,
    keyRing: parseKeyRing(cluster.secrets.codecKeys, undefined),
    tokenKeyRing: parseKeyRing(cluster.secrets.tokenKeys, undefined, 'PLUM_TOKEN_KEYS'),
  });
  await new TokenKeeperClient({ client }).enrol(DEMO, seeded.tokens);
  await client.connection.close();

  // The keys stay out of the terminal: the commands below read them from a file only this user can read.
  const envFile = join(cluster.options.dataDir, 'keeper.env');
  writeFileSync(
    envFile,
    `${Object.entries(cluster.keeperEnv())
      .map(([k, v]) => `${k}='${v}'`)
      .join('\n')}\nPLUM_CODEC_SERVER_TOKEN='${cluster.secrets.codecToken}'\n`,
    { mode: 0o600 },
  );
  const env = `set -a; . ${relative(process.cwd(), envFile)}; set +a;`;
  const lines = [
    '',
    '  plum-token-keeper cluster is running (loopback only)',
    `  PostgreSQL : 127.0.0.1:${cluster.ports.postgres} (data in ${cluster.postgres.dataDir})`,
    `  Temporal   : ${cluster.address} (frontend; history :${cluster.ports.history}, matching :${cluster.ports.matching}, worker :${cluster.ports.worker}), namespace ${cluster.namespace}`,
    ...(cluster.certificates
      ? [
          `  TLS        : the frontend requires client certificates (CA, frontend and client certificates in ${cluster.certificates.dir};`,
          `               TEMPORAL_TLS_* in ${envFile} for plum-keeper and the temporal CLI alike)`,
        ]
      : []),
    `  Plum       : ${cluster.sandbox.url}  <-- LOCAL SANDBOX`,
    `  Codec      : http://127.0.0.1:${cluster.ports.codec} (bearer auth; PLUM_CODEC_SERVER_TOKEN in ${envFile})`,
    ...cluster.ports.workerMetrics.map(
      (port, i) => `  Worker ${i + 1}   : http://127.0.0.1:${port}/metrics  /readyz  (pid ${cluster.workers[i]?.pid})`,
    ),
    `  Demo       : company "${DEMO}" enrolled`,
    '  Try        :',
    `    ${env} npx plum-keeper status ${DEMO}`,
    `    ${env} npx plum-keeper doctor`,
    `    ${cluster.certificates ? `${env} ` : ''}temporal workflow list --address ${cluster.address} --query "PlumTokenStatus = 'ACTIVE'"`,
    `    ${env} temporal workflow query --address ${cluster.address} --workflow-id plum-company:${DEMO} --type status --codec-endpoint http://127.0.0.1:${cluster.ports.codec} --codec-auth "Bearer $PLUM_CODEC_SERVER_TOKEN"`,
    '  Ctrl-C (or SIGTERM) stops every process.',
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`cluster: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
