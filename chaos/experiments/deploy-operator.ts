// DEPLOY's manual path, the README's operator steps: workers that decide nothing (no rollout: PLUM_ROLLOUT=manual's
// routing, made by hand), both builds polling while companies enrol and rotate, `temporal worker deployment
// set-current-version --yes` and `plum-keeper upgrade`, the old build retired, a stray old worker started again, a
// rollback and forward again.
import { row } from '../../bench/lib/report';
import { TokenKeeperClient } from '../../src/client';
import { DEFAULT_DEPLOYMENT_NAME, TASK_QUEUE } from '../../src/contract';
import { DeployWorld, LIFETIME_MS, enrolAll, secondsUntilAllOn, startWorkers } from '../lib/deploy-world';
import { companyIds, eventually, sleep } from '../lib/fleet';
import type { LabWorker } from '../lib/lab';
import type { DeployScenario } from './deploy-rollouts';

export const operatorSteps: DeployScenario = async ({ lab, server, client, builds, sizes, random }) => {
  const taskQueue = TASK_QUEUE;
  const world = new DeployWorld(
    lab,
    server,
    client,
    new TokenKeeperClient({ client, taskQueue }),
    taskQueue,
    DEFAULT_DEPLOYMENT_NAME,
  );
  const oldBuild = builds.old;
  const newBuild = builds.next;
  let rejected = 0;
  const rejections = () => rejected;
  const onCall = (event: { outcome: string; endpoint: string }) => {
    if (event.outcome === 'rejected' && event.endpoint === 'refresh') rejected++;
  };
  lab.sandbox.events.on('call', onCall);
  const workers: LabWorker[] = [];
  try {
    const ids = companyIds('deploy-operator', sizes.deployCompanies);
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
    const lateIds = companyIds('deploy-operator-late', 2);
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
      rows: [
        row('operator steps: upstream rejections', String(rejections()), { text: '0', met: rejections() === 0 }),
        row(
          'operator steps: workflow task failures (UnhandledCommand apart)',
          `${scan.failures}; besides, ${scan.unhandledCommands} declined as UnhandledCommand (a message arrived as the task completed; retried at once)`,
          { text: '0', met: scan.failures === 0 },
        ),
        row('operator steps: failed enrolments (during the overlap too)', String(failedEnrolments), {
          text: '0',
          met: failedEnrolments === 0,
        }),
        row(
          'operator steps: reads without a token / failed calls',
          `${world.failedReads} of ${world.reads} / ${errors.length}`,
          {
            text: '0',
            met: world.failedReads === 0 && errors.length === 0,
          },
        ),
        row(
          'operator steps: keepers on the new build within one wake',
          `${movedWithinOneWake} of ${enrolled.length - lateIds.length}${naturalMove.seconds !== undefined ? ` (${naturalMove.seconds.toFixed(1)} s after set-current-version)` : ''}`,
          { text: 'all', met: naturalMove.left.length === 0 },
        ),
        row('operator steps: plum-keeper upgrade --build-id (exit status)', String(upgrade.code), {
          text: '0',
          met: upgrade.code === 0,
        }),
        row('operator steps: tasks run by a stray old-build worker', String(strayScan.strayTasks), {
          text: '0',
          met: strayScan.strayTasks === 0,
        }),
        row(
          'operator steps: rollback, keepers back within one wake',
          `${enrolled.length - rollback.left.length} of ${enrolled.length}${rollback.seconds !== undefined ? ` (${rollback.seconds.toFixed(1)} s)` : ''}`,
          { text: 'all', met: rollback.left.length === 0 },
        ),
        row('operator steps: forward again, plum-keeper upgrade (exit)', String(forward.code), {
          text: '0',
          met: forward.code === 0,
        }),
        row('operator steps: companies not ACTIVE at the end', String(notActive), { text: '0', met: notActive === 0 }),
        row(
          'operator steps: reads, refreshNow, user-token calls',
          `${world.reads}, ${world.rotationsAsked}, ${world.userTokens}`,
        ),
      ],
      figures: {
        companies: enrolled.length,
        rejections: rejections(),
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
  }
};
