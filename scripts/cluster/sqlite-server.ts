import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../../src/dev-server/dev-server';
import { Managed } from './processes';
import { goBinary, setUpNamespace } from './temporal-server';

/** A running single-process Temporal server of {@link SERVER_VERSION}. */
export interface SqliteServer {
  address: string;
  namespace: string;
  stop(): Promise<void>;
}

/**
 * Temporal server v1.31.2 as one process on in-memory SQLite (deploy/temporal/server-sqlite.yaml), with the
 * `default` namespace and the keeper's search attributes. Used where the dev server of the temporal CLI is too old:
 * upgrade on continue-as-new (a pinned run moving to a new current Worker Deployment Version), and mutual TLS on the
 * frontend (`tls`: the server's and the CLI's settings, from scripts/cluster/tls.ts).
 */
export async function startSqliteServer(
  cliPath: string,
  log: (line: string) => void = () => {},
  tls?: { serverEnv: Record<string, string>; clientEnv: Record<string, string> },
  /** YAML appended to deploy/temporal/dynamic-config.yaml for this server only (the DEPLOY experiment's shorter polls). */
  extraDynamicConfig = '',
): Promise<SqliteServer> {
  // Nine ports are picked free and then bound by the server: another process on the machine (a test starting its own
  // server) can take one in between, and the server exits at start. Fresh ports, at most three times.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(cliPath, log, tls, extraDynamicConfig);
    } catch (error) {
      if (!(error instanceof ServerExitedError) || attempt === 3) throw error;
      log(
        `temporal server exited at start (attempt ${attempt} of 3), trying fresh ports: ${error.message.slice(0, 300)}`,
      );
    }
  }
}

/** The server process ended before its namespace was ready. */
class ServerExitedError extends Error {
  override readonly name = 'ServerExitedError';
}

async function startOnce(
  cliPath: string,
  log: (line: string) => void,
  tls: { serverEnv: Record<string, string>; clientEnv: Record<string, string> } | undefined,
  extraDynamicConfig: string,
): Promise<SqliteServer> {
  const server = goBinary('server', log);
  const ports = {
    FRONTEND_GRPC_PORT: await freePort(),
    FRONTEND_HTTP_PORT: await freePort(),
    FRONTEND_MEMBERSHIP_PORT: await freePort(),
    HISTORY_GRPC_PORT: await freePort(),
    HISTORY_MEMBERSHIP_PORT: await freePort(),
    MATCHING_GRPC_PORT: await freePort(),
    MATCHING_MEMBERSHIP_PORT: await freePort(),
    WORKER_GRPC_PORT: await freePort(),
    WORKER_MEMBERSHIP_PORT: await freePort(),
  };
  const dir = mkdtempSync(join(tmpdir(), 'plum-sqlite-server-'));
  const dynamicConfig = join(dir, 'dynamic-config.yaml');
  writeFileSync(
    dynamicConfig,
    `${readFileSync(resolve('deploy/temporal/dynamic-config.yaml'), 'utf8')}\n${extraDynamicConfig}`,
  );
  const process_ = Managed.start(
    'temporal-server',
    server,
    ['--config-file', resolve('deploy/temporal/server-sqlite.yaml'), '--allow-no-auth', 'start'],
    {
      cwd: dir,
      env: {
        ...process.env,
        ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
        TEMPORAL_DYNAMIC_CONFIG_FILE: dynamicConfig,
        ...tls?.serverEnv,
      },
    },
  );
  const address = `127.0.0.1:${ports.FRONTEND_GRPC_PORT}`;
  const stop = async () => {
    await process_.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await Promise.race([
      setUpNamespace(cliPath, address, 'default', tls?.clientEnv),
      process_.exited.then((code) => {
        throw new ServerExitedError(`temporal server exited (${code}):\n${process_.output()}`);
      }),
    ]);
  } catch (error) {
    await stop();
    throw error;
  }
  return { address, namespace: 'default', stop };
}
