// The deploy experiment's world: one Temporal server v1.31.2, per scenario a task queue and Worker Deployment of its
// own, workers of two builds in child processes, traffic that reads, rotates and exchanges user tokens, and the
// figures every scenario reports.
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Client } from '@temporalio/client';
import type { TokenKeeperClient } from '../../src/client';
import { accessTokenQuery, workflowIdFor } from '../../src/contract';
import type { SqliteServer } from '../../scripts/cluster/sqlite-server';
import { described, errorName } from './described';
import { eventually, historyEvents, sleep, taskFailureOf } from './fleet';
import type { ChaosLab, LabBuild, LabWorker, WorkerTarget } from './lab';
import type { SeededRandom } from './random';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '..', '..');
/** Sandbox tokens live this long: each keeper wakes to rotate every half of it. */
export const LIFETIME_MS = 12_000;
export const ADMIN = 'admin@deploy.test';

/** A deploy world on its own server: the lab's sandbox, keys and worker processes; a client of its own. */
export class DeployWorld {
  readonly errors = new Map<string, number>();
  /** The first few failed calls in full, so a report says what the server answered. */
  readonly errorExamples: string[] = [];
  reads = 0;
  failedReads = 0;
  userTokens = 0;
  rotationsAsked = 0;
  /** Why each failed workflow task failed (cause and message), for the figures. */
  readonly taskFailures: string[] = [];
  private traffic: Promise<void> | undefined;
  private trafficOn = false;

  constructor(
    readonly lab: ChaosLab,
    readonly server: SqliteServer,
    readonly client: Client,
    readonly keeper: TokenKeeperClient,
    /** The task queue and Worker Deployment this world's workers use (one per scenario). */
    readonly taskQueue: string,
    readonly deploymentName: string,
    /** The staleness the scenario's workers and CLI use (its server answers idle polls sooner than production's). */
    readonly pollStaleMs = 8000,
  ) {}

  /** `temporal …` and the plum-keeper CLI, verbatim, with the world's address and keys. */
  cliEnv(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      ...this.lab.keyEnv(),
      TEMPORAL_ADDRESS: this.server.address,
      TEMPORAL_NAMESPACE: 'default',
      PLUM_DEPLOYMENT_NAME: this.deploymentName,
      PLUM_POLL_STALE_MS: String(this.pollStaleMs),
    };
  }

  async plumKeeper(args: string[]): Promise<{ code: number; stdout: string; stderr: string; seconds: number }> {
    const started = Date.now();
    return run(process.execPath, ['bin/plum-keeper.js', ...args], { cwd: ROOT, env: this.cliEnv() }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr, seconds: (Date.now() - started) / 1000 }),
      (error: { code?: number; stdout?: string; stderr?: string }) => ({
        code: error.code ?? 1,
        stdout: error.stdout ?? '',
        stderr: error.stderr ?? '',
        seconds: (Date.now() - started) / 1000,
      }),
    );
  }

  async temporal(args: string[]): Promise<string> {
    const { stdout } = await run(this.lab.cliPath, [...args, '--address', this.server.address]);
    return stdout;
  }

  /** `set-current-version`, retried until the build's pollers have registered it with the server. */
  async setCurrent(build: LabBuild): Promise<void> {
    const args = ['worker', 'deployment', 'set-current-version', '--deployment-name', this.deploymentName];
    const ok = await eventually(
      () => this.temporal([...args, '--build-id', build.buildId, '--yes']).then(() => true),
      30_000,
    );
    if (!ok) throw new Error(`set-current-version ${build.buildId} kept failing`);
  }

  /** `npx plum-keeper upgrade --build-id …`, verbatim as the README's upgrade guide gives it. */
  async upgradeCommand(
    buildId: string,
    timeoutSeconds = 60,
  ): Promise<{ code: number; stdout: string; seconds: number }> {
    return this.plumKeeper(['upgrade', '--build-id', buildId, '--timeout', String(timeoutSeconds)]);
  }

  count(what: string, error: unknown): void {
    const key = `${what}: ${errorName(error)}`;
    this.errors.set(key, (this.errors.get(key) ?? 0) + 1);
    const at = `${new Date().toISOString().slice(11, 23)}`;
    if (this.errorExamples.length < 5) this.errorExamples.push(`${at} ${what}: ${described(error)}`);
  }

  /** Reads, rotations and user-token exchanges on random companies until stopped (bounded by `maxMs`). */
  startTraffic(ids: () => readonly string[], random: SeededRandom, maxMs: number): void {
    this.trafficOn = true;
    const until = Date.now() + maxMs;
    this.traffic = (async () => {
      while (this.trafficOn && Date.now() < until) {
        const current = ids();
        const id = current[random.between(0, current.length - 1)]!;
        const roll = random.next();
        this.reads++;
        const answer = await this.client.workflow
          .getHandle(workflowIdFor(id))
          .query(accessTokenQuery)
          .catch((e: unknown) => (this.count('read', e), undefined));
        if (!answer?.ok) this.failedReads++;
        if (roll < 0.05) {
          this.rotationsAsked++;
          await this.keeper.refreshNow(id, 'deploy experiment').catch((e: unknown) => this.count('refreshNow', e));
        } else if (roll < 0.1) {
          this.userTokens++;
          this.keeper.invalidate(id);
          await this.keeper.getUserToken(id, ADMIN).catch((e: unknown) => this.count('userToken', e));
        }
        await sleep(50);
      }
    })();
  }

  async stopTraffic(): Promise<void> {
    this.trafficOn = false;
    await this.traffic;
  }

  /** The build each company's latest run is on. */
  async builds(ids: readonly string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    for (const id of ids) {
      const version = await this.keeper.version(id).catch(() => undefined);
      found.set(id, version?.build ?? 'unknown');
    }
    return found;
  }

  /** Workflow task failures and tasks handled by `pids` after `since`, over every run of every company. */
  async scanHistories(
    ids: readonly string[],
    strayPids: readonly number[],
    since: number,
  ): Promise<{ failures: number; unhandledCommands: number; strayTasks: number }> {
    let failures = 0;
    let unhandledCommands = 0;
    let strayTasks = 0;
    const stray = strayPids.map((pid) => `${pid}@`);
    this.taskFailures.length = 0;
    for (const id of ids) {
      for (const event of await historyEvents(this.client, workflowIdFor(id))) {
        const failed = event.workflowTaskFailedEventAttributes;
        if (failed) {
          const failure = taskFailureOf(id, failed);
          if (failure.benign) unhandledCommands++;
          else failures++;
          this.taskFailures.push(failure.text);
        }
        const identity =
          event.workflowTaskStartedEventAttributes?.identity ?? event.activityTaskStartedEventAttributes?.identity;
        const at = Number(event.eventTime?.seconds ?? 0) * 1000;
        if (identity && at >= since && stray.some((s) => identity.startsWith(s))) strayTasks++;
      }
    }
    return { failures, unhandledCommands, strayTasks };
  }
}

/** Starts `count` workers of `build`, one after the other, each ready (with a rollout: its first decision applied). */
export async function startWorkers(
  world: DeployWorld,
  build: LabBuild,
  count: number,
  rollout?: WorkerTarget['rollout'],
): Promise<LabWorker[]> {
  const workers: LabWorker[] = [];
  for (let i = 0; i < count; i++) {
    workers.push(
      await world.lab.startWorker(
        {},
        {
          address: world.server.address,
          build: { ...build, deploymentName: world.deploymentName },
          taskQueue: world.taskQueue,
          ...(rollout && { rollout }),
        },
      ),
    );
  }
  return workers;
}

export async function enrolAll(world: DeployWorld, ids: readonly string[]): Promise<number> {
  let failed = 0;
  const seeded = await world.lab.seed(ids, [ADMIN]);
  for (const company of seeded) {
    await world.keeper.enrol(company.companyId, company.tokens).catch((e: unknown) => {
      failed++;
      world.count('enrol', e);
    });
  }
  return failed;
}

/** Seconds until every company reports `buildId`, or undefined when some never did within `timeoutMs`. */
export async function secondsUntilAllOn(
  world: DeployWorld,
  ids: readonly string[],
  buildId: string,
  timeoutMs: number,
): Promise<{ seconds?: number; left: string[] }> {
  const t0 = Date.now();
  let left: string[] = [...ids];
  const done = await eventually(async () => {
    const builds = await world.builds(left);
    left = left.filter((id) => builds.get(id) !== buildId);
    return left.length === 0;
  }, timeoutMs);
  return { ...(done && { seconds: (Date.now() - t0) / 1000 }), left };
}
