import { randomBytes } from 'node:crypto';
import { connect, createServer } from 'node:net';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { locateTemporalCli } from '../../src/dev-server/cli-locator';
import { freePort } from '../../src/dev-server/dev-server';
import { PlumSandbox } from '../../src/sandbox/plum-sandbox';
import type { StartSandboxOptions } from '../../src/sandbox/plum-sandbox';
import { LocalPostgres } from './postgres';
import type { TestCertificates } from './tls';
import { clientTlsEnv, makeTestCertificates, serverTlsEnv } from './tls';
import { Managed, until } from './processes';
import type { ServerPorts, Service } from './temporal-server';
import { SERVICES, goBinary, setUpNamespace, setUpSchema, startService } from './temporal-server';

export interface ClusterOptions {
  dataDir: string;
  workers: number;
  namespace?: string;
  log: (line: string) => void;
  sandbox?: StartSandboxOptions;
  /** Extra environment for every keeper worker (short lifetimes, log level…). */
  workerEnv?: Record<string, string>;
  /** Serve the frontend over mutual TLS, with certificates made in `dataDir/tls` (needs openssl). */
  tls?: boolean;
}

/**
 * A free port below 32768: Temporal stores each service's membership port in a PostgreSQL `smallint`, so a port from
 * the kernel's ephemeral range (32768 and up) fails every membership heartbeat.
 */
async function freeLowPort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const server = createServer();
    const ok = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (ok) {
      await new Promise((resolve) => server.close(resolve));
      return port;
    }
  }
}

/** True when something accepts TCP connections on the loopback port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

const key = () => `k1:${randomBytes(32).toString('base64')}`;

/**
 * The production topology on loopback, from real binaries: PostgreSQL, the Temporal server as four processes (the
 * frontend over mutual TLS with `tls`), the Plum sandbox, the codec server (bearer auth) and N keeper workers.
 */
export class Cluster {
  readonly services = new Map<Service, Managed>();
  readonly workers: (Managed | undefined)[] = [];
  codec: Managed | undefined;
  readonly secrets = { codecKeys: key(), tokenKeys: key(), codecToken: randomBytes(24).toString('base64url') };
  readonly credentialsFile: string;

  private constructor(
    readonly options: ClusterOptions,
    readonly postgres: LocalPostgres,
    readonly ports: ServerPorts & { codec: number; workerMetrics: number[] },
    readonly server: string,
    readonly cli: string,
    readonly sandbox: PlumSandbox,
    readonly certificates: TestCertificates | undefined,
  ) {
    this.credentialsFile = join(options.dataDir, 'plum-credentials.json');
    writeFileSync(this.credentialsFile, '{}');
  }

  get namespace(): string {
    return this.options.namespace ?? 'default';
  }

  get address(): string {
    return `127.0.0.1:${this.ports.frontend}`;
  }

  static async start(options: ClusterOptions): Promise<Cluster> {
    const dataDir = resolve(options.dataDir);
    mkdirSync(dataDir, { recursive: true });
    // PostgreSQL runs as its own user, which must be able to pass through this folder (mkdtemp makes it 0700).
    chmodSync(dataDir, 0o755);
    const server = goBinary('server', options.log);
    const sqlTool = goBinary('sql', options.log);
    const cli = await locateTemporalCli({ log: options.log });
    if (!cli) throw new Error('no temporal CLI and no Go to install it');
    const free = async () => freePort();
    const perService = async (pick: () => Promise<number>) =>
      Object.fromEntries(await Promise.all(SERVICES.map(async (s) => [s, await pick()] as const))) as Record<
        Service,
        number
      >;
    const ports = {
      postgres: await free(),
      frontend: await free(),
      frontendHttp: await free(),
      history: await free(),
      matching: await free(),
      worker: await free(),
      membership: await perService(freeLowPort),
      metrics: await perService(free),
      codec: await free(),
      workerMetrics: await Promise.all(Array.from({ length: options.workers }, free)),
    };
    const postgres = new LocalPostgres(join(dataDir, 'postgresql'), ports.postgres);
    options.log(`PostgreSQL: initdb and start on 127.0.0.1:${ports.postgres}`);
    await postgres.start();
    options.log('Temporal schema: create and update both databases');
    setUpSchema(sqlTool, ports.postgres);
    const sandbox = await PlumSandbox.start({ ...options.sandbox });
    const certificates = options.tls ? makeTestCertificates(join(dataDir, 'tls')) : undefined;
    if (certificates)
      options.log(`TLS: test CA and certificates in ${certificates.dir}; the frontend requires client certificates`);
    const cluster = new Cluster({ ...options, dataDir }, postgres, ports, server, cli, sandbox, certificates);
    try {
      // One at a time: services started together on a fresh database race to write the cluster metadata, and the
      // loser exits ("SaveClusterMetadata encountered version mismatch").
      for (const service of SERVICES) {
        const managed = cluster.startService(service);
        await until(
          `the ${service} service to listen`,
          () => listening(cluster.servicePort(service)),
          60_000,
          () => managed.output(),
        );
      }
      options.log('Temporal: frontend, history, matching and worker started; registering the namespace');
      await setUpNamespace(cli, cluster.address, cluster.namespace, cluster.clientTlsEnv());
      cluster.startCodecServer();
      for (let i = 0; i < options.workers; i++) cluster.startWorker(i);
      await Promise.all(cluster.workers.map((_, i) => cluster.waitForWorker(i)));
    } catch (error) {
      for (const managed of cluster.services.values()) {
        if (!managed.running)
          options.log(`${managed.name} exited:\n${managed.output().split('\n').slice(-15).join('\n')}`);
      }
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** Gives the workers (which re-read the file on change) the API credentials of sandbox companies. */
  writeCredentials(companies: Record<string, { clientId: string; clientSecret: string }>): void {
    const entries = Object.entries(companies).map(([id, c]) => [
      id,
      { client_id: c.clientId, client_secret: c.clientSecret },
    ]);
    writeFileSync(this.credentialsFile, JSON.stringify(Object.fromEntries(entries)));
  }

  servicePort(service: Service): number {
    return this.ports[service === 'frontend' ? 'frontend' : service];
  }

  /** What a client, a worker or the CLI sets to connect through TLS (empty without `--tls`). */
  clientTlsEnv(): Record<string, string> {
    return this.certificates ? clientTlsEnv(this.certificates) : {};
  }

  startService(service: Service): Managed {
    const managed = startService(
      this.server,
      this.ports,
      service,
      this.certificates && serverTlsEnv(this.certificates),
    );
    this.services.set(service, managed);
    return managed;
  }

  /** The environment of a keeper worker (and of a client or the CLI, which need the same keys). */
  keeperEnv(): Record<string, string> {
    return {
      TEMPORAL_ADDRESS: this.address,
      TEMPORAL_NAMESPACE: this.namespace,
      PLUM_CODEC_KEYS: this.secrets.codecKeys,
      PLUM_TOKEN_KEYS: this.secrets.tokenKeys,
      PLUM_BASE_URL: this.sandbox.url,
      PLUM_CREDENTIALS_FILE: this.credentialsFile,
      ...this.clientTlsEnv(),
    };
  }

  startWorker(index: number): Managed {
    const worker = Managed.start(`worker-${index + 1}`, process.execPath, ['--import', 'tsx', 'src/worker.ts'], {
      env: {
        ...cleanEnv(),
        ...this.keeperEnv(),
        PLUM_METRICS_PORT: String(this.ports.workerMetrics[index]),
        PLUM_METRICS_HOST: '127.0.0.1',
        ...this.options.workerEnv,
      },
    });
    this.workers[index] = worker;
    return worker;
  }

  waitForWorker(index: number): Promise<void> {
    const url = `http://127.0.0.1:${this.ports.workerMetrics[index]}/readyz`;
    return until(
      `worker ${index + 1} to poll`,
      async () => (await fetch(url)).ok,
      120_000,
      () => this.workers[index]?.output() ?? '',
    );
  }

  private startCodecServer(): void {
    this.codec = Managed.start('codec-server', process.execPath, ['--import', 'tsx', 'src/main/codec-server.ts'], {
      env: {
        ...cleanEnv(),
        TEMPORAL_ADDRESS: this.address,
        ...this.clientTlsEnv(),
        PLUM_CODEC_KEYS: this.secrets.codecKeys,
        PLUM_CODEC_SERVER_TOKEN: this.secrets.codecToken,
        PLUM_CODEC_SERVER_PORT: String(this.ports.codec),
      },
    });
  }

  /** Every child process, for the banner and the orphan check. */
  processes(): { name: string; pid: number | undefined }[] {
    return [
      { name: 'postgresql', pid: this.postgres.pid },
      ...[...this.services.values(), this.codec, ...this.workers]
        .filter((m): m is Managed => m !== undefined)
        .map((m) => ({ name: m.name, pid: m.pid })),
    ];
  }

  /** Stops everything, workers first (they drain), PostgreSQL last; waits for every process to exit. */
  async stop(): Promise<void> {
    await Promise.all(this.workers.map((w) => w?.stop()));
    await this.codec?.stop();
    await Promise.all([...this.services.values()].map((s) => s.stop()));
    await this.sandbox.stop();
    await this.postgres.stop();
  }
}

/** The environment without the caller's PLUM_ and TEMPORAL_ variables (the cluster sets its own). */
export function cleanEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] =>
        entry[1] !== undefined && !entry[0].startsWith('PLUM_') && !entry[0].startsWith('TEMPORAL_'),
    ),
  );
}
