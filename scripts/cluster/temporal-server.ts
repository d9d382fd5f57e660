import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PLUM_SEARCH_ATTRIBUTE_TYPES } from '../../src/contract';
import { Managed, until } from './processes';

export const SERVICES = ['frontend', 'history', 'matching', 'worker'] as const;
export type Service = (typeof SERVICES)[number];

const GO_BIN = join(process.env.GOPATH ?? join(process.env.HOME ?? '', 'go'), 'bin');
/** Built by `go install go.temporal.io/server/cmd/server@v1.31.2` (and `…/cmd/tools/sql@v1.31.2`); see README. */
export const SERVER_VERSION = 'v1.31.2';

/** The Temporal UI server the production-mode browser test runs (the image docker-compose.yml uses is this version). */
export const UI_SERVER_VERSION = 'v2.42.1';

/**
 * The Temporal UI server binary: `$TEMPORAL_UI_SERVER_PATH`, else Go's bin folder, installed on demand into a folder of
 * its own (its binary is also called `server`).
 */
export function uiServerBinary(log: (line: string) => void): string {
  if (process.env.TEMPORAL_UI_SERVER_PATH) return process.env.TEMPORAL_UI_SERVER_PATH;
  const dir = join(GO_BIN, `temporal-ui-server-${UI_SERVER_VERSION}`);
  const path = join(dir, 'server');
  if (existsSync(path)) return path;
  const module = `github.com/temporalio/ui-server/v2/cmd/server@${UI_SERVER_VERSION}`;
  log(`building ${module} with go install (about a minute the first time)…`);
  execFileSync('go', ['install', module], { stdio: 'inherit', env: { ...process.env, GOBIN: dir } });
  return path;
}

/** A Go-installed binary: `$TEMPORAL_SERVER_PATH` / `$TEMPORAL_SQL_TOOL_PATH`, else Go's bin folder, installed on demand. */
export function goBinary(name: 'server' | 'sql', log: (line: string) => void): string {
  const override = name === 'server' ? process.env.TEMPORAL_SERVER_PATH : process.env.TEMPORAL_SQL_TOOL_PATH;
  if (override) return override;
  const path = join(GO_BIN, name);
  if (existsSync(path)) return path;
  const module = name === 'server' ? 'go.temporal.io/server/cmd/server' : 'go.temporal.io/server/cmd/tools/sql';
  log(`building ${module}@${SERVER_VERSION} with go install (about 6 minutes the first time)…`);
  execFileSync('go', ['install', `${module}@${SERVER_VERSION}`], { stdio: 'inherit' });
  return path;
}

export interface ServerPorts {
  postgres: number;
  frontend: number;
  frontendHttp: number;
  history: number;
  matching: number;
  worker: number;
  membership: Record<Service, number>;
  metrics: Record<Service, number>;
}

/** Creates both databases and brings their schemas to the newest version (idempotent: a second run changes nothing). */
export function setUpSchema(sqlTool: string, postgresPort: number): void {
  for (const [database, schema] of [
    ['temporal', 'postgresql/v12/temporal'],
    ['temporal_visibility', 'postgresql/v12/visibility'],
  ] as const) {
    const base = [
      '--plugin',
      'postgres12',
      '--ep',
      '127.0.0.1',
      '-p',
      String(postgresPort),
      '-u',
      'temporal',
      '--pw',
      'temporal',
      '--db',
      database,
    ];
    execFileSync(sqlTool, [...base, 'create'], { stdio: 'ignore' });
    execFileSync(sqlTool, [...base, 'setup-schema', '-v', '0.0'], { stdio: 'ignore' });
    execFileSync(sqlTool, [...base, 'update-schema', '-s', schema], { stdio: 'ignore' });
  }
}

/** The environment deploy/temporal/server.yaml reads, for `service` (each service gets its own metrics port). */
export function serverEnv(ports: ServerPorts, service: Service): Record<string, string> {
  return {
    POSTGRES_PORT: String(ports.postgres),
    FRONTEND_GRPC_PORT: String(ports.frontend),
    FRONTEND_HTTP_PORT: String(ports.frontendHttp),
    HISTORY_GRPC_PORT: String(ports.history),
    MATCHING_GRPC_PORT: String(ports.matching),
    WORKER_GRPC_PORT: String(ports.worker),
    FRONTEND_MEMBERSHIP_PORT: String(ports.membership.frontend),
    HISTORY_MEMBERSHIP_PORT: String(ports.membership.history),
    MATCHING_MEMBERSHIP_PORT: String(ports.membership.matching),
    WORKER_MEMBERSHIP_PORT: String(ports.membership.worker),
    TEMPORAL_METRICS_PORT: String(ports.metrics[service]),
    TEMPORAL_DYNAMIC_CONFIG_FILE: resolve('deploy/temporal/dynamic-config.yaml'),
  };
}

/** Starts one Temporal service from deploy/temporal/server.yaml (`tlsEnv`: mutual TLS on the frontend). */
export function startService(
  server: string,
  ports: ServerPorts,
  service: Service,
  tlsEnv: Record<string, string> = {},
): Managed {
  return Managed.start(
    `temporal-${service}`,
    server,
    ['--config-file', resolve('deploy/temporal/server.yaml'), '--allow-no-auth', 'start', '--service', service],
    { env: { ...process.env, ...serverEnv(ports, service), ...tlsEnv } },
  );
}

/**
 * Registers the namespace and the keeper's four search attributes (both idempotent); `clientEnv` carries the CLI's
 * TLS settings when the frontend needs them.
 */
export async function setUpNamespace(
  cli: string,
  address: string,
  namespace: string,
  clientEnv: Record<string, string> = {},
): Promise<void> {
  const run = (args: string[]) =>
    execFileSync(cli, [...args, '--address', address], { stdio: 'pipe', env: { ...process.env, ...clientEnv } });
  await until('the frontend to answer', () => (run(['operator', 'cluster', 'health']), true), 120_000);
  try {
    run(['operator', 'namespace', 'create', '--namespace', namespace, '--retention', '72h']);
  } catch (error) {
    if (!String((error as { stderr?: Buffer }).stderr).includes('already')) throw error;
  }
  await until(
    'the namespace to be usable',
    () => (run(['operator', 'namespace', 'describe', '--namespace', namespace]), true),
    60_000,
  );
  const attributes = Object.entries(PLUM_SEARCH_ATTRIBUTE_TYPES).flatMap(([name, type]) => [
    '--name',
    name,
    '--type',
    type,
  ]);
  await until(
    'the search attributes',
    () => (run(['operator', 'search-attribute', 'create', '--namespace', namespace, ...attributes]), true),
    60_000,
  );
}
