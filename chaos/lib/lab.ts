import type { RolloutPolicy } from '../../src/deployment/rollout-decision';
import type { ChildProcess } from 'node:child_process';
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { TokenKeeperClient } from '../../src/client';
import { createDataConverter } from '../../src/codec/data-converter';
import { KEEPER_BUNDLE_OPTIONS } from '../../src/worker/workflow-bundle';
import { EnrolmentKeyRing } from '../../src/codec/enrolment-seal';
import { KeyRing } from '../../src/codec/key-ring';
import type { RefreshedToken, WorkerSettings } from '../../src/contract';
import { PlumSandbox } from '../../src/sandbox/plum-sandbox';
import type { SeededCompany } from '../../src/sandbox/store';
import { DevServer, freePort } from '../../src/dev-server/dev-server';
import { CHAOS_HTTP_TIMEOUT_MS, CHAOS_SETTINGS } from './settings';

/** A keeper worker process of the lab. */
export interface LabWorker {
  readonly pid: number;
  readonly exited: Promise<void>;
  alive(): boolean;
  kill(signal: NodeJS.Signals): void;
  /** SIGTERM (the worker drains) and wait for the exit. */
  stop(): Promise<void>;
}

/** A build of the keeper a lab worker runs: its worker script, its bundle, its Worker Deployment Version. */
export interface LabBuild {
  workerScript: string;
  bundlePath: string;
  deploymentName: string;
  buildId: string;
}

/** Where a lab worker runs, when not on the lab's own server and sandbox with the lab's unversioned build. */
export interface WorkerTarget {
  address?: string;
  sandboxUrl?: string;
  credentialsFile?: string;
  build?: LabBuild;
  /** Status alerts go to this webhook (a dead one, in R8). */
  alertWebhookUrl?: string;
  /** The task queue it polls (default: the lab's). */
  taskQueue?: string;
  /** A versioned worker runs the production rollout with this policy (DEPLOY); without it, routing is left to the experiment. */
  rollout?: { policy: RolloutPolicy; intervalMs: number };
}

type Ring = { keys: Record<string, Buffer>; active: string };

const ringSpec = (ring: Ring) =>
  Object.entries(ring.keys)
    .map(([id, key]) => `${id}:${key.toString('base64')}`)
    .join(',');

/**
 * The chaos suite's world, all on loopback: a dev server on a SQLite file (restartable on the same port), the Plum
 * sandbox, keeper workers in child processes, a client, fresh keys (rotatable), and a record of everything the run
 * produced that the secret scan reads afterwards.
 */
export class ChaosLab {
  readonly taskQueue = 'chaos';
  /** Everything every worker wrote, for the secret scan. */
  readonly logs: string[] = [];
  readonly companies = new Map<string, SeededCompany>();
  /** Tokens an experiment sent readable on purpose (an unsealed start): R6 counts them apart, as its own. */
  readonly plantedTokens = new Set<string>();
  /** How often the payload key was rotated in this run. */
  keyRotations = 0;
  private readonly workers = new Set<ChildProcess>();
  private readonly codec: Ring = { keys: { c1: randomBytes(32) }, active: 'c1' };
  private readonly token: Ring = { keys: { t1: randomBytes(32) }, active: 't1' };
  /** The workers' enrolment ring (private halves); operators in the experiments hold its public half only. */
  private readonly enrolmentSpec = EnrolmentKeyRing.generate('e1');
  private readonly credentialsFile: string;
  private connection!: Connection;
  client!: Client;
  keeper!: TokenKeeperClient;

  private constructor(
    readonly cliPath: string,
    private readonly dir: string,
    private readonly port: number,
    public server: DevServer,
    readonly sandbox: PlumSandbox,
    readonly bundlePath: string,
  ) {
    this.credentialsFile = join(dir, 'credentials.json');
    writeFileSync(this.credentialsFile, '{}');
  }

  static async start(cliPath: string, dir: string): Promise<ChaosLab> {
    const port = await freePort();
    const bundlePath = join(dir, 'workflow-bundle.js');
    const [server, sandbox, bundle] = await Promise.all([
      DevServer.start({ cliPath, port, dbFile: join(dir, 'temporal.sqlite') }),
      PlumSandbox.start(),
      bundleWorkflowCode({
        ...KEEPER_BUNDLE_OPTIONS,
        logger: quiet,
      }),
    ]);
    writeFileSync(bundlePath, bundle.code);
    const lab = new ChaosLab(cliPath, dir, port, server, sandbox, bundlePath);
    await lab.connect();
    return lab;
  }

  /** The key rings a client needs to read everything the workers wrote. */
  rings(): { codec: KeyRing; token: KeyRing; enrolment: EnrolmentKeyRing } {
    return {
      codec: KeyRing.of(this.codec.keys, this.codec.active),
      token: KeyRing.of(this.token.keys, this.token.active, 'PLUM_TOKEN_KEYS'),
      enrolment: EnrolmentKeyRing.parse(this.enrolmentSpec),
    };
  }

  /** The environment a process needs to decode this lab's payloads (workers, the CLI). */
  keyEnv(): Record<string, string> {
    return {
      PLUM_CODEC_KEYS: ringSpec(this.codec),
      PLUM_CODEC_ACTIVE_KEY_ID: this.codec.active,
      PLUM_TOKEN_KEYS: ringSpec(this.token),
      PLUM_TOKEN_ACTIVE_KEY_ID: this.token.active,
      PLUM_ENROLMENT_KEYS: this.enrolmentSpec,
    };
  }

  private async connect(): Promise<void> {
    const { codec, token } = this.rings();
    // R5 sends payloads of up to 1.5 MB, which a keeper ignores but keeps in its history: a page of that history is
    // larger than gRPC's default 4 MiB message, so the lab reads histories through a wider channel.
    this.connection ??= await Connection.connect({
      address: this.server.address,
      channelArgs: { 'grpc.max_receive_message_length': 64 * 2 ** 20 },
    });
    this.client = new Client({ connection: this.connection, dataConverter: createDataConverter(codec, token) });
    this.keeper = new TokenKeeperClient({ client: this.client, taskQueue: this.taskQueue });
  }

  /** A new active payload key, old ones kept: workers restarted with it first, then this lab's client (the order
   * docs/design.md gives operators). */
  async rotateCodecKey(): Promise<void> {
    this.keyRotations += 1;
    const id = `c${Object.keys(this.codec.keys).length + 1}`;
    this.codec.keys[id] = randomBytes(32);
    this.codec.active = id;
    await this.connect();
  }

  /** Stops the Temporal server, keeps it down `downMs`, starts it again on the same port and SQLite file. */
  async restartServer(downMs: number, whileDown?: () => Promise<void>): Promise<void> {
    await this.server.stop();
    const back = Date.now() + downMs;
    await whileDown?.();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, back - Date.now())));
    this.server = await DevServer.start({
      cliPath: this.cliPath,
      port: this.port,
      dbFile: join(this.dir, 'temporal.sqlite'),
    });
  }

  /**
   * Starts a keeper worker process on the lab's task queue and resolves once it polls; `target` runs another build
   * (its own tree and bundle) against another server or sandbox, as a Worker Deployment Version.
   */
  async startWorker(settings: Partial<WorkerSettings> = {}, target: WorkerTarget = {}): Promise<LabWorker> {
    const child = fork(target.build?.workerScript ?? join(__dirname, '..', 'worker-process.ts'), {
      env: {
        ...process.env,
        ...this.keyEnv(),
        TEMPORAL_ADDRESS: target.address ?? this.server.address,
        PLUM_BASE_URL: target.sandboxUrl ?? this.sandbox.url,
        PLUM_CREDENTIALS_FILE: target.credentialsFile ?? this.credentialsFile,
        CHAOS_TASK_QUEUE: target.taskQueue ?? this.taskQueue,
        CHAOS_BUNDLE: target.build?.bundlePath ?? this.bundlePath,
        ...(target.build && {
          CHAOS_DEPLOYMENT_NAME: target.build.deploymentName,
          CHAOS_BUILD_ID: target.build.buildId,
        }),
        CHAOS_HTTP_TIMEOUT_MS: String(CHAOS_HTTP_TIMEOUT_MS),
        ...(target.alertWebhookUrl && { CHAOS_ALERT_WEBHOOK_URL: target.alertWebhookUrl }),
        ...(target.rollout && {
          CHAOS_ROLLOUT: JSON.stringify(target.rollout.policy),
          CHAOS_ROLLOUT_INTERVAL_MS: String(target.rollout.intervalMs),
        }),
        CHAOS_SETTINGS: JSON.stringify({ ...CHAOS_SETTINGS, ...settings }),
      },
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.workers.add(child);
    const own: string[] = [];
    const keep = (chunk: Buffer) => {
      this.logs.push(chunk.toString('utf8'));
      own.push(chunk.toString('utf8'));
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const exited = once(child, 'exit').then(() => {
      this.workers.delete(child);
    });
    const [first] = (await Promise.race([once(child, 'message'), exited.then(() => ['exited'])])) as unknown[];
    if (first !== 'ready') {
      // The summary shows the start of a message: the worker's last line first, its whole output in a file.
      const output = own.join('');
      const kept = join(mkdtempSync(join(tmpdir(), 'chaos-worker-')), 'output.log');
      writeFileSync(kept, output);
      const last = output.trimEnd().split('\n').slice(-3).reverse().join(' | ');
      throw new Error(
        `a chaos worker did not start (exit ${child.exitCode}): ${last.slice(0, 600)} (all of it: ${kept})`,
      );
    }
    return {
      pid: child.pid!,
      exited,
      alive: () => child.exitCode === null && child.signalCode === null,
      kill: (signal) => child.kill(signal),
      stop: async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        await exited;
      },
    };
  }

  /** Seeds companies in the sandbox and hands their credentials to the workers (read per call from the file). */
  async seed(companyIds: readonly string[], admins: string[] = []): Promise<SeededCompany[]> {
    const seeded: SeededCompany[] = [];
    for (const companyId of companyIds) {
      const company = await this.sandbox.seedCompany({ companyId, admins });
      this.companies.set(companyId, company);
      seeded.push(company);
    }
    const credentials = Object.fromEntries(
      [...this.companies.values()].map((c) => [c.companyId, { client_id: c.clientId, client_secret: c.clientSecret }]),
    );
    writeFileSync(this.credentialsFile, JSON.stringify(credentials));
    return seeded;
  }

  /** Seeds and enrols companies (a worker must be polling). */
  async enrol(companyIds: readonly string[]): Promise<void> {
    const seeded = await this.seed(companyIds);
    for (let i = 0; i < seeded.length; i += 8) {
      await Promise.all(seeded.slice(i, i + 8).map((c) => this.keeper.enrol(c.companyId, c.tokens)));
    }
  }

  /**
   * `refreshNow` through a client that has handed out no token, so it always rotates: a fault injected just before is
   * spent by this call. `lab.keeper` would get a newer held token back without a Plum call after a rotation it did not
   * see (a retry after a failed call), leaving the fault for a later experiment.
   */
  rotateNow(companyId: string, reason: string): Promise<RefreshedToken> {
    return new TokenKeeperClient({ client: this.client, taskQueue: this.taskQueue }).refreshNow(companyId, reason);
  }

  /** Retires companies so they stop rotating in later experiments (their histories stay for the scans). */
  async retire(companyIds: readonly string[]): Promise<void> {
    await Promise.all(companyIds.map((id) => this.keeper.retire(id, 'chaos experiment over').catch(() => undefined)));
  }

  /** Every secret this run handed out: every token pair and user token the sandbox issued, client secrets, keys. */
  secrets(): string[] {
    const found: string[] = [];
    for (const company of this.companies.values()) {
      found.push(company.clientSecret);
      for (const pair of this.sandbox.store.requireCompany(company.companyId).pairs) {
        found.push(pair.accessToken, pair.refreshToken);
      }
    }
    for (const user of this.sandbox.store.userTokens.values())
      found.push(user.pair.accessToken, user.pair.refreshToken);
    for (const ring of [this.codec, this.token])
      for (const key of Object.values(ring.keys)) found.push(key.toString('base64'));
    found.push(this.enrolmentSpec.slice(this.enrolmentSpec.indexOf(':') + 1));
    return found;
  }

  async stop(): Promise<void> {
    for (const child of this.workers) child.kill('SIGKILL');
    await this.connection?.close();
    await this.sandbox.stop();
    await this.server.stop();
  }
}

const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } as never;
