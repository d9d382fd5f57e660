// DEPLOY's rollouts as teams run them, none with an operator command unless the scenario is about one: the workers'
// own rollout (src/worker/rollout.ts) decides, hands keepers over on SIGTERM and adopts stranded ones.
import type { Client } from '@temporalio/client';
import type { Row } from '../../bench/lib/report';
import { row } from '../../bench/lib/report';
import { TokenKeeperClient } from '../../src/client';
import { DEFAULT_DEPLOYMENT_NAME as DEPLOYMENT_NAME, TASK_QUEUE } from '../../src/contract';
import { readDeployment } from '../../src/deployment/deployment-view';
import type { RolloutPolicy } from '../../src/deployment/rollout-decision';
import type { SqliteServer } from '../../scripts/cluster/sqlite-server';
import { DeployWorld, LIFETIME_MS, enrolAll, secondsUntilAllOn, startWorkers } from '../lib/deploy-world';
import { companyIds, sleep } from '../lib/fleet';
import type { ChaosLab, LabBuild, LabWorker, WorkerTarget } from '../lib/lab';
import type { SeededRandom } from '../lib/random';
import type { ChaosSizes } from '../lib/sizes';

/** The server answers an idle poll after 3 s (production: 1 min), so a worker gone for 8 s is known gone. */
export const SHORT_POLLS = 'matching.longPollExpirationInterval:\n  - value: 3s\n';
export const POLL_STALE_MS = 8000;

export interface DeployBuilds {
  old: LabBuild;
  next: LabBuild;
  touched: LabBuild;
}

export interface ScenarioContext {
  lab: ChaosLab;
  server: SqliteServer;
  client: Client;
  builds: DeployBuilds;
  sizes: ChaosSizes;
  random: SeededRandom;
}

export type DeployScenario = (context: ScenarioContext) => Promise<{ rows: Row[]; figures: Record<string, unknown> }>;

function rolloutOf(mode: RolloutPolicy['mode'], rampMs = 0): NonNullable<WorkerTarget['rollout']> {
  return {
    policy: { mode, rampPercent: 50, rampMs, handoverTimeoutMs: 30_000, pollStaleMs: POLL_STALE_MS },
    intervalMs: 2000,
  };
}

/**
 * One scenario's world on its own server, with production's names (task queue `plum-tokens`, deployment
 * `plum-token-keeper`), so the CLI commands it runs are the README's, verbatim: keeper client, workers, rejections.
 */
function worldFor(context: ScenarioContext, name: string) {
  const keeper = new TokenKeeperClient({ client: context.client });
  const world = new DeployWorld(context.lab, context.server, context.client, keeper, TASK_QUEUE, DEPLOYMENT_NAME);
  let rejections = 0;
  const onCall = (event: { outcome: string; endpoint: string }) => {
    if (event.outcome === 'rejected' && event.endpoint === 'refresh') rejections++;
  };
  context.lab.sandbox.events.on('call', onCall);
  const workers: LabWorker[] = [];
  return {
    world,
    workers,
    ids: companyIds(`deploy-${name}`, context.sizes.deployCompanies),
    rejections: () => rejections,
    async end() {
      context.lab.sandbox.events.off('call', onCall);
      await world.stopTraffic();
      await Promise.all(workers.map((w) => w.stop()));
    },
  };
}

/** The figures every scenario reports, in one row held against zero (failed reads only where the goal is zero). */
async function summary(
  label: string,
  world: DeployWorld,
  ids: readonly string[],
  target: string,
  counts: { rejections: number; failedEnrolments: number; startedAt: number; readsMayFail: boolean },
) {
  const waitFrom = Date.now();
  const moved = await secondsUntilAllOn(world, ids, target, 90_000);
  const seconds = moved.seconds === undefined ? undefined : moved.seconds + (waitFrom - counts.startedAt) / 1000;
  await world.stopTraffic();
  const scan = await world.scanHistories(ids, [], 0);
  const errors = [...world.errors].map(([k, n]) => `${k} ×${n}`);
  const met =
    counts.rejections === 0 &&
    scan.failures === 0 &&
    counts.failedEnrolments === 0 &&
    moved.left.length === 0 &&
    (counts.readsMayFail || (world.failedReads === 0 && errors.length === 0));
  const value =
    `rejections ${counts.rejections}, task failures ${scan.failures}, failed enrolments ${counts.failedEnrolments}, ` +
    `failed reads ${world.failedReads} of ${world.reads}, stranded ${moved.left.length} of ${ids.length}` +
    (seconds !== undefined ? `, all on the new build ${seconds.toFixed(1)} s after the first new worker` : '');
  return {
    row: row(label, value, { text: counts.readsMayFail ? '0 (reads apart), all moved' : '0, all moved', met }),
    figures: {
      rejections: counts.rejections,
      workflowTaskFailures: scan.failures,
      unhandledCommands: scan.unhandledCommands,
      taskFailures: [...world.taskFailures],
      failedEnrolments: counts.failedEnrolments,
      reads: world.reads,
      failedReads: world.failedReads,
      errors,
      errorExamples: world.errorExamples,
      stranded: moved.left,
      secondsToNewBuild: seconds,
    },
  };
}

/** Kubernetes' RollingUpdate: start one new worker, wait until it is ready, stop one old; repeat. Then a stray old pod. */
const kubernetesStyle: DeployScenario = async (context) => {
  const { world, workers, ids, ...scenario } = worldFor(context, 'kubernetes');
  const { old, next } = context.builds;
  try {
    const olds = await startWorkers(world, old, 2, rolloutOf('auto'));
    workers.push(...olds);
    let failedEnrolments = await enrolAll(world, ids);
    world.startTraffic(() => ids, context.random, 5 * 60_000);
    const startedAt = Date.now();
    for (const retiring of olds) {
      workers.push(...(await startWorkers(world, next, 1, rolloutOf('auto'))));
      await retiring.stop();
    }
    const result = await summary('Kubernetes-style rolling update (no command)', world, ids, next.buildId, {
      rejections: scenario.rejections(),
      failedEnrolments,
      startedAt,
      readsMayFail: false,
    });
    // A stray old pod (an old ReplicaSet scaled up by hand, a node coming back) after the rollout.
    const strayAt = Date.now();
    const stray = await startWorkers(world, old, 1, rolloutOf('auto'));
    workers.push(...stray);
    const late = companyIds('deploy-kubernetes-late', 2);
    failedEnrolments += await enrolAll(world, late);
    await sleep(LIFETIME_MS / 2);
    const strayScan = await world.scanHistories(
      [...ids, ...late],
      stray.map((w) => w.pid),
      strayAt,
    );
    const current = (await readDeployment(context.client, world.deploymentName, world.taskQueue))?.current;
    const strayMet = strayScan.strayTasks === 0 && current === next.buildId && failedEnrolments === 0;
    return {
      rows: [
        result.row,
        row(
          'a stray old worker started later: tasks it ran, current build after',
          `${strayScan.strayTasks}, ${current === next.buildId ? 'still the new build' : `${current}`}`,
          { text: '0, the new build', met: strayMet },
        ),
      ],
      figures: { ...result.figures, strayTasks: strayScan.strayTasks, currentAfterStray: current },
    };
  } finally {
    await scenario.end();
  }
};

/**
 * The stop-first rollouts: every old worker stops while its build is still current (nothing newer exists yet to hand
 * over to), then the new ones start and adopt the keepers left behind.
 */
function stopFirst(
  name: string,
  label: string,
  workerCount: number,
  target: (builds: DeployBuilds) => LabBuild,
): DeployScenario {
  return async (context) => {
    const { world, workers, ids, ...scenario } = worldFor(context, name);
    const to = target(context.builds);
    try {
      const olds = await startWorkers(world, context.builds.old, workerCount, rolloutOf('auto'));
      workers.push(...olds);
      const failedEnrolments = await enrolAll(world, ids);
      world.startTraffic(() => ids, context.random, 5 * 60_000);
      await Promise.all(olds.map((w) => w.stop()));
      const startedAt = Date.now();
      workers.push(...(await startWorkers(world, to, workerCount, rolloutOf('auto'))));
      const result = await summary(label, world, ids, to.buildId, {
        rejections: scenario.rejections(),
        failedEnrolments,
        startedAt,
        readsMayFail: true,
      });
      return { rows: [result.row], figures: result.figures };
    } finally {
      await scenario.end();
    }
  };
}

/** `docker compose up -d` with a new image: both old containers stop first, then the new ones start. */
const composeStyle = stopFirst('compose', 'compose-style (stop all old, start all new; no command)', 2, (b) => b.next);

/** One worker restarted with changed code of the same release (`npm run start:prod` after a `git pull`). */
const restartWithChangedCode = stopFirst('restart', 'a restart with changed code (same release)', 1, (b) => b.touched);

/**
 * PLUM_ROLLOUT=ramp: the new build ramps at 50 % for 15 s, then becomes current by itself. Then an operator rolls
 * back with the temporal CLI (`--yes`, as in a script); a newer worker restarting leaves the rollback in place;
 * `plum-keeper rollout resume` hands routing back.
 */
const rampAndRollback: DeployScenario = async (context) => {
  const { world, workers, ids, ...scenario } = worldFor(context, 'ramp');
  const { old, next } = context.builds;
  const ramp = rolloutOf('ramp', 15_000);
  try {
    workers.push(...(await startWorkers(world, old, 2, ramp)));
    const failedEnrolments = await enrolAll(world, ids);
    world.startTraffic(() => ids, context.random, 5 * 60_000);
    const startedAt = Date.now();
    const news = await startWorkers(world, next, 2, ramp);
    workers.push(...news);
    const ramping = (await readDeployment(context.client, world.deploymentName, world.taskQueue))?.ramping;
    const result = await summary(`PLUM_ROLLOUT=ramp (50 % for 15 s, then current)`, world, ids, next.buildId, {
      rejections: scenario.rejections(),
      failedEnrolments,
      startedAt,
      readsMayFail: false,
    });
    world.startTraffic(() => ids, context.random, 5 * 60_000);
    // The rollback, as an operator scripts it; the keepers follow with plum-keeper upgrade.
    await world.setCurrent(old);
    const back = await world.upgradeCommand(old.buildId);
    // A newer worker restarts (a crash, a node drain): the rollback stays.
    await news[0]!.stop();
    workers.push(...(await startWorkers(world, next, 1, ramp)));
    await sleep(2 * ramp.intervalMs);
    const afterRestart = (await readDeployment(context.client, world.deploymentName, world.taskQueue))?.current;
    const resumed = await world.plumKeeper(['rollout', 'resume', '--build-id', next.buildId]);
    const forward = await world.upgradeCommand(next.buildId);
    await world.stopTraffic();
    const scan = await world.scanHistories(ids, [], 0);
    const rollbackMet = back.code === 0 && afterRestart === old.buildId;
    return {
      rows: [
        result.row,
        row('the ramp seen while it ran', ramping ? `${ramping.buildId} at ${ramping.percentage}%` : 'none', {
          text: 'the new build at 50%',
          met: ramping?.buildId === next.buildId && ramping.percentage === 50,
        }),
        row(
          'rollback (set-current-version --yes, upgrade): exit, current after a newer worker restarts',
          `${back.code}, ${afterRestart === old.buildId ? 'still the old build' : afterRestart}`,
          { text: '0, the old build', met: rollbackMet },
        ),
        row(
          'rollout resume, then upgrade: exits; task failures over the whole scenario',
          `${resumed.code}, ${forward.code}; ${scan.failures}`,
          { text: '0, 0; 0', met: resumed.code === 0 && forward.code === 0 && scan.failures === 0 },
        ),
      ],
      figures: {
        ...result.figures,
        ramping,
        rollbackUpgrade: back.stdout.trim(),
        currentAfterNewerRestart: afterRestart,
        resume: resumed.stderr.trim(),
        forward: forward.stdout.trim(),
      },
    };
  } finally {
    await scenario.end();
  }
};

/**
 * A stranding made on purpose: PLUM_ROLLOUT=manual, the old build killed before anyone made the new one current.
 * What doctor says and exits with, that upgrade returns within its timeout, and the way out (`rollout resume`).
 */
const strandedOnPurpose: DeployScenario = async (context) => {
  const { world, workers, ids, ...scenario } = worldFor(context, 'stranded');
  const { old, next } = context.builds;
  try {
    const olds = await startWorkers(world, old, 2, rolloutOf('manual'));
    workers.push(...olds);
    const failedEnrolments = await enrolAll(world, ids);
    workers.push(...(await startWorkers(world, next, 1, rolloutOf('manual'))));
    for (const w of olds) w.kill('SIGKILL');
    await Promise.all(olds.map((w) => w.exited));
    await sleep(POLL_STALE_MS + 1000);
    const doctor = await world.plumKeeper(['doctor']);
    const doctorLine = doctor.stdout.split('\n').find((l) => l.includes('worker deployment')) ?? '';
    const upgrade = await world.upgradeCommand(next.buildId, 5);
    const startedAt = Date.now();
    const resumed = await world.plumKeeper(['rollout', 'resume']);
    const result = await summary(
      'stranded on purpose, then rollout resume: the new build adopts',
      world,
      ids,
      next.buildId,
      {
        rejections: scenario.rejections(),
        failedEnrolments,
        startedAt,
        readsMayFail: true,
      },
    );
    return {
      rows: [
        row(
          'stranded on purpose (manual, old build killed): doctor exit, names the build',
          `${doctor.code}, ${doctorLine.includes(old.buildId) ? 'yes' : 'no'}`,
          {
            text: '1, yes',
            met: doctor.code === 1 && doctorLine.includes(old.buildId),
          },
        ),
        row(
          'plum-keeper upgrade --timeout 5 on it: exit, seconds',
          `${upgrade.code}, ${upgrade.seconds.toFixed(1)} s`,
          {
            text: '1, under 8 s',
            met: upgrade.code === 1 && upgrade.seconds < 8,
          },
        ),
        result.row,
      ],
      figures: {
        ...result.figures,
        doctor: doctor.stdout.trim(),
        upgrade: upgrade.stdout.trim(),
        resume: `${resumed.code} ${resumed.stderr.trim()}`,
      },
    };
  } finally {
    await scenario.end();
  }
};

export const ROLLOUT_SCENARIOS: [string, DeployScenario][] = [
  ['kubernetes', kubernetesStyle],
  ['compose', composeStyle],
  ['restart', restartWithChangedCode],
  ['ramp', rampAndRollback],
  ['stranded', strandedOnPurpose],
];
