import type { ChildProcess } from 'node:child_process';
import { execFileSync, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { KeyRing } from '../../src/codec/key-ring';
import { createDataConverter } from '../../src/codec/data-converter';
import { TokenKeeperClient } from '../../src/client';
import { PlumSandbox } from '../../src/sandbox/plum-sandbox';
import type { SeededCompany } from '../../src/sandbox/store';
import { DevServer } from '../../src/dev-server/dev-server';
import { enrolAll } from './enrol';
import { cpuMeter } from './process-usage';

/** Fresh keys per run: the bench's tokens are throwaway, its keys need not be the committed test keys. */
export function freshKeys() {
  const codec = randomBytes(32);
  const token = randomBytes(32);
  return {
    codecRing: KeyRing.of({ bench: codec }, 'bench'),
    tokenRing: KeyRing.of({ 'bench-t': token }, 'bench-t', 'PLUM_TOKEN_KEYS'),
    env: {
      PLUM_CODEC_KEYS: `bench:${codec.toString('base64')}`,
      PLUM_TOKEN_KEYS: `bench-t:${token.toString('base64')}`,
    },
  };
}

export interface WorkerProcess {
  pid: number;
  memory(): Promise<{ rss: number; heapUsed: number; heapTotal: number; external: number }>;
  stop(): Promise<void>;
}

export interface WorkerProcessOptions {
  taskQueue: string;
  maxCachedWorkflows?: number;
  activitiesPerSecond?: number;
  minRotationIntervalMs?: number;
  /** A worker of the constant-query workflow (bench/workflows/constant.ts) instead of the keeper. */
  floor?: boolean;
}

/** A dev server, the sandbox, a client and keeper workers in child processes, all on loopback. */
export class Harness {
  private readonly workers = new Set<ChildProcess>();
  private readonly credentials = new Map<string, { client_id: string; client_secret: string }>();
  readonly credentialsFile: string;

  private constructor(
    readonly server: DevServer,
    readonly sandbox: PlumSandbox,
    readonly connection: Connection,
    readonly client: Client,
    private readonly keyEnv: Record<string, string>,
    private readonly dir: string,
  ) {
    this.credentialsFile = join(dir, 'credentials.json');
  }

  static async start(cliPath: string): Promise<Harness> {
    const [server, sandbox] = await Promise.all([DevServer.start({ cliPath }), PlumSandbox.start()]);
    const keys = freshKeys();
    const connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection, dataConverter: createDataConverter(keys.codecRing, keys.tokenRing) });
    return new Harness(server, sandbox, connection, client, keys.env, mkdtempSync(join(tmpdir(), 'plum-bench-')));
  }

  /** A service-side client of the keepers on `taskQueue`. */
  keeper(taskQueue: string): TokenKeeperClient {
    return new TokenKeeperClient({ client: this.client, taskQueue });
  }

  /** Seeds companies in the sandbox and writes their credentials where the workers read them. */
  async seed(companyIds: readonly string[]): Promise<Map<string, SeededCompany>> {
    const seeded = new Map<string, SeededCompany>();
    for (const companyId of companyIds) {
      const company = await this.sandbox.seedCompany({ companyId });
      seeded.set(companyId, company);
      this.credentials.set(companyId, { client_id: company.clientId, client_secret: company.clientSecret });
    }
    writeFileSync(this.credentialsFile, JSON.stringify(Object.fromEntries(this.credentials)));
    return seeded;
  }

  /** The process id of the Temporal server itself (the CLI under the dev server's watchdog). */
  serverPid(): number | undefined {
    const watchdog = this.server.watchdogPid;
    if (watchdog === undefined) return undefined;
    try {
      const child = execFileSync('pgrep', ['-P', String(watchdog)], { encoding: 'utf8' })
        .trim()
        .split('\n')[0];
      return child ? Number(child) : undefined;
    } catch {
      return undefined;
    }
  }

  /** What a client in another process needs: the server's address and the key rings. */
  clientEnv(): Record<string, string> {
    return { ...this.keyEnv, TEMPORAL_ADDRESS: this.server.address };
  }

  async startWorker(options: WorkerProcessOptions): Promise<WorkerProcess> {
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      ...this.keyEnv,
      TEMPORAL_ADDRESS: this.server.address,
      PLUM_BASE_URL: this.sandbox.url,
      PLUM_CREDENTIALS_FILE: this.credentialsFile,
      BENCH_TASK_QUEUE: options.taskQueue,
    };
    if (options.floor) env.BENCH_FLOOR = '1';
    if (options.maxCachedWorkflows !== undefined) env.BENCH_MAX_CACHED_WORKFLOWS = String(options.maxCachedWorkflows);
    if (options.activitiesPerSecond !== undefined)
      env.BENCH_ACTIVITIES_PER_SECOND = String(options.activitiesPerSecond);
    if (options.minRotationIntervalMs !== undefined) {
      env.BENCH_MIN_ROTATION_INTERVAL_MS = String(options.minRotationIntervalMs);
    }
    const child = fork(join(__dirname, '..', 'worker-process.ts'), {
      env,
      execArgv: ['--import', 'tsx', '--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.workers.add(child);
    const [first] = (await Promise.race([once(child, 'message'), once(child, 'exit')])) as unknown[];
    if (first !== 'ready') throw new Error(`the bench worker did not start (exit ${String(first)})`);
    return {
      pid: child.pid!,
      memory: async () => {
        child.send('memory');
        const [reply] = await once(child, 'message');
        return reply as Awaited<ReturnType<WorkerProcess['memory']>>;
      },
      stop: async () => {
        if (child.exitCode !== null) return;
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await exited;
        this.workers.delete(child);
      },
    };
  }

  /** A worker on `options.taskQueue`, a client of it, and `companyIds` seeded and enrolled, `concurrency` at a time. */
  async enrolledOn(options: WorkerProcessOptions, companyIds: readonly string[], concurrency = 16) {
    const seeded = await this.seed(companyIds);
    const worker = await this.startWorker(options);
    const keeper = this.keeper(options.taskQueue);
    const meter = cpuMeter({ worker: worker.pid, server: this.serverPid(), bench: process.pid });
    const enrolPerSecond = await enrolAll(keeper, seeded, concurrency);
    return { worker, keeper, enrolPerSecond, enrolCpuCores: meter.stop() };
  }

  async stop(): Promise<void> {
    for (const child of this.workers) if (child.exitCode === null) child.kill('SIGKILL');
    await this.connection.close();
    await this.sandbox.stop();
    await this.server.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
