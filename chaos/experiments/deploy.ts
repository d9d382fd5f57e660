// DEPLOY: a rolling deploy, as compose's replicas or a Kubernetes rolling update do it. Two builds of the keeper (this
// one, and the next release of chaos/builds/next-release.patch: a changed refresh activity input and a new query)
// poll at once on Temporal server v1.31.2 while companies rotate, enrol, answer reads and exchange user tokens; the
// new build is made current with `temporal worker deployment set-current-version` and `plum-keeper upgrade`, the old
// build retired, a stray old worker started again, then a rollback. Goals: no rejection, no failed workflow task, no
// failed enrolment or read, every keeper on the current build within one wake, no task reaching a retired build.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import type { SectionResult } from '../../bench/lib/report';
import { row } from '../../bench/lib/report';
import { TokenKeeperClient } from '../../src/client';
import { createDataConverter } from '../../src/codec/data-converter';
import { accessTokenQuery, workflowIdFor } from '../../src/contract';
import type { CallEvent } from '../../src/sandbox/control';
import type { SqliteServer } from '../../scripts/cluster/sqlite-server';
import { startSqliteServer } from '../../scripts/cluster/sqlite-server';
import { NEXT_RELEASE_PATCH, prepareBuild } from '../lib/builds';
import { companyIds, eventually, historyEvents, sleep, taskFailureOf } from '../lib/fleet';
import { described, errorName } from '../lib/described';
import type { ChaosLab, LabBuild, LabWorker } from '../lib/lab';
import type { SeededRandom } from '../lib/random';
import type { ChaosSizes } from '../lib/sizes';

const run = promisify(execFile);
const DEPLOYMENT = 'plum-token-keeper';
/** Sandbox tokens live this long: each keeper wakes to rotate every half of it. */
const LIFETIME_MS = 12_000;
const ADMIN = 'admin@deploy.test';

/** A deploy world on its own server: the lab's sandbox, keys and worker processes; a client of its own. */
class DeployWorld {
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
  ) {}

  async temporal(args: string[]): Promise<string> {
    const { stdout } = await run(this.lab.cliPath, [...args, '--address', this.server.address]);
    return stdout;
  }

  /** `set-current-version`, retried until the build's pollers have registered it with the server. */
  async setCurrent(build: LabBuild): Promise<void> {
    const args = ['worker', 'deployment', 'set-current-version', '--deployment-name', DEPLOYMENT];
    const ok = await eventually(
      () => this.temporal([...args, '--build-id', build.buildId, '--yes']).then(() => true),
      30_000,
    );
    if (!ok) throw new Error(`set-current-version ${build.buildId} kept failing`);
  }

  /** `npx plum-keeper upgrade --build-id …`, verbatim as the README's upgrade guide gives it. */
  async upgradeCommand(buildId: string): Promise<{ code: number; stdout: string }> {
    return run(process.execPath, ['bin/plum-keeper.js', 'upgrade', '--build-id', buildId, '--timeout', '60'], {
      cwd: resolve(__dirname, '..', '..'),
      env: {
        ...process.env,
        ...this.lab.keyEnv(),
        TEMPORAL_ADDRESS: this.server.address,
        TEMPORAL_NAMESPACE: 'default',
      },
    }).then(
      ({ stdout }) => ({ code: 0, stdout }),
      (error: { code?: number; stdout?: string }) => ({ code: error.code ?? 1, stdout: error.stdout ?? '' }),
    );
  }

  count(what: string, error: unknown): void {
    const key = `${what}: ${errorName(error)}`;
    this.errors.set(key, (this.errors.get(key) ?? 0) + 1);
    if (this.errorExamples.length < 5) this.errorExamples.push(`${what}: ${described(error)}`);
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

async function startWorkers(world: DeployWorld, build: LabBuild, count: number): Promise<LabWorker[]> {
  const workers: LabWorker[] = [];
  for (let i = 0; i < count; i++) {
    workers.push(await world.lab.startWorker({}, { address: world.server.address, build }));
  }
  return workers;
}

async function enrolAll(world: DeployWorld, ids: readonly string[]): Promise<number> {
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
async function secondsUntilAllOn(
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

export async function rollingDeploy(lab: ChaosLab, sizes: ChaosSizes, random: SeededRandom): Promise<SectionResult> {
  const dir = mkdtempSync(join(tmpdir(), 'plum-deploy-'));
  const started = await Promise.allSettled([
    startSqliteServer(lab.cliPath),
    prepareBuild({ dir, deploymentName: DEPLOYMENT, buildId: '1.0.0' }),
    prepareBuild({ dir, deploymentName: DEPLOYMENT, buildId: '1.1.0-next', patch: NEXT_RELEASE_PATCH }),
  ] as const);
  const [serverStart, oldStart, newStart] = started;
  if (serverStart.status === 'rejected' || oldStart.status === 'rejected' || newStart.status === 'rejected') {
    // Nothing the experiment started outlives it: a server that came up is stopped before the failure is reported.
    if (serverStart.status === 'fulfilled') await serverStart.value.stop();
    rmSync(dir, { recursive: true, force: true });
    throw started.find((r) => r.status === 'rejected')!.reason;
  }
  const [server, oldBuild, newBuild] = [serverStart.value, oldStart.value, newStart.value];
  const { codec, token } = lab.rings();
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, dataConverter: createDataConverter(codec, token) });
  const world = new DeployWorld(lab, server, client, new TokenKeeperClient({ client, taskQueue: lab.taskQueue }));
  const rejections: CallEvent[] = [];
  const onCall = (event: CallEvent) => {
    if (event.outcome === 'rejected' && event.endpoint === 'refresh') rejections.push(event);
  };
  lab.sandbox.events.on('call', onCall);
  const workers: LabWorker[] = [];
  try {
    await lab.sandbox.setOptions({ rotation: 'strict', accessLifetimeMs: LIFETIME_MS });
    const ids = companyIds('deploy', sizes.deployCompanies);
    const half = Math.ceil(ids.length / 2);
    const enrolled: string[] = [];

    // Release 1.0.0 runs and is current.
    const old = await startWorkers(world, oldBuild, 2);
    workers.push(...old);
    await world.setCurrent(oldBuild);
    let failedEnrolments = await enrolAll(world, ids.slice(0, half));
    enrolled.push(...ids.slice(0, half));
    world.startTraffic(() => enrolled, random, 10 * 60_000);

    // The rolling deploy: the next release's workers start while the old ones still poll; companies enrol and rotate.
    const next = await startWorkers(world, newBuild, 2);
    workers.push(...next);
    failedEnrolments += await enrolAll(world, ids.slice(half));
    enrolled.push(...ids.slice(half));
    await sleep(LIFETIME_MS / 2);

    // Promote: every keeper continues as new onto the new build at its next wake (one rotation: half a lifetime).
    const promotedAt = Date.now();
    await world.setCurrent(newBuild);
    const naturalMove = await secondsUntilAllOn(world, enrolled, newBuild.buildId, LIFETIME_MS);
    const upgrade = await world.upgradeCommand(newBuild.buildId);

    // Retire the old build; then a stray old pod starts after the new build is current.
    const upgradedAt = Date.now();
    await Promise.all(old.map((w) => w.stop()));
    const stray = await startWorkers(world, oldBuild, 1);
    workers.push(...stray);
    const lateIds = companyIds('deploy-late', 2);
    failedEnrolments += await enrolAll(world, lateIds);
    enrolled.push(...lateIds);
    await sleep(LIFETIME_MS);
    const strayScan = await world.scanHistories(
      enrolled,
      stray.map((w) => w.pid),
      upgradedAt,
    );

    // Rollback: the old build is current again; keepers move back at their next wake (the stray is its worker).
    await world.setCurrent(oldBuild);
    const rollback = await secondsUntilAllOn(world, enrolled, oldBuild.buildId, LIFETIME_MS);
    await world.setCurrent(newBuild);
    const forward = await world.upgradeCommand(newBuild.buildId);
    await world.stopTraffic();

    const scan = await world.scanHistories(enrolled, [], 0);
    // Settled, not sampled: a keeper in the middle of a rotation reads REFRESHING for a moment.
    let unsettled: string[] = [];
    await eventually(async () => {
      const statuses = await Promise.all(enrolled.map((id) => world.keeper.status(id).catch(() => undefined)));
      unsettled = statuses
        .map((status, i) =>
          status?.status === 'ACTIVE'
            ? undefined
            : `${enrolled[i]}: ${status?.status ?? 'no answer'}${status?.reason ? ` (${status.reason})` : ''}`,
        )
        .filter((line): line is string => line !== undefined);
      return unsettled.length === 0;
    }, LIFETIME_MS);
    const notActive = unsettled.length;
    const errors = [...world.errors].map(([k, n]) => `${k} ×${n}`);
    const movedWithinOneWake = enrolled.length - lateIds.length - naturalMove.left.length;
    return {
      id: 'DEPLOY',
      title: `DEPLOY  rolling deploy: ${enrolled.length} companies, builds ${oldBuild.buildId} → ${newBuild.buildId} (changed activity input, new query), server v1.31.2`,
      rows: [
        row('upstream rejections', String(rejections.length), { text: '0', met: rejections.length === 0 }),
        row(
          'workflow task failures (UnhandledCommand apart)',
          `${scan.failures}; besides, ${scan.unhandledCommands} declined as UnhandledCommand (a message arrived as the task completed; retried at once)`,
          { text: '0', met: scan.failures === 0 },
        ),
        row('failed enrolments (during the overlap too)', String(failedEnrolments), {
          text: '0',
          met: failedEnrolments === 0,
        }),
        row('reads without a token / failed calls', `${world.failedReads} of ${world.reads} / ${errors.length}`, {
          text: '0',
          met: world.failedReads === 0 && errors.length === 0,
        }),
        row(
          'keepers on the new build within one wake',
          `${movedWithinOneWake} of ${enrolled.length - lateIds.length}${naturalMove.seconds !== undefined ? ` (${naturalMove.seconds.toFixed(1)} s after set-current-version)` : ''}`,
          { text: 'all', met: naturalMove.left.length === 0 },
        ),
        row('plum-keeper upgrade --build-id (exit status)', String(upgrade.code), {
          text: '0',
          met: upgrade.code === 0,
        }),
        row('tasks run by a stray old-build worker after the upgrade', String(strayScan.strayTasks), {
          text: '0',
          met: strayScan.strayTasks === 0,
        }),
        row(
          'rollback: keepers back on the old build within one wake',
          `${enrolled.length - rollback.left.length} of ${enrolled.length}${rollback.seconds !== undefined ? ` (${rollback.seconds.toFixed(1)} s)` : ''}`,
          { text: 'all', met: rollback.left.length === 0 },
        ),
        row('forward again: plum-keeper upgrade (exit status)', String(forward.code), {
          text: '0',
          met: forward.code === 0,
        }),
        row('companies not ACTIVE at the end', String(notActive), { text: '0', met: notActive === 0 }),
        row(
          'reads, refreshNow, user-token calls during the deploy',
          `${world.reads}, ${world.rotationsAsked}, ${world.userTokens}`,
        ),
      ],
      figures: {
        companies: enrolled.length,
        rejections: rejections.length,
        workflowTaskFailures: scan.failures,
        unhandledCommands: scan.unhandledCommands,
        taskFailures: world.taskFailures,
        failedEnrolments,
        reads: world.reads,
        failedReads: world.failedReads,
        errors,
        errorExamples: world.errorExamples,
        secondsToNewBuild: naturalMove.seconds,
        notMoved: naturalMove.left,
        upgradeOutput: upgrade.stdout.trim(),
        strayTasks: strayScan.strayTasks,
        rollbackSeconds: rollback.seconds,
        notActive,
        unsettled,
        promotedAt: new Date(promotedAt).toISOString(),
      },
    };
  } finally {
    lab.sandbox.events.off('call', onCall);
    await world.stopTraffic();
    await Promise.all(workers.map((w) => w.stop()));
    await connection.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
