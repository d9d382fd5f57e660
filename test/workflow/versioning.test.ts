// Worker Versioning on Temporal server v1.31.2 (the CLI's dev server, 1.29.1, never moves a pinned run at
// continue-as-new): runs are pinned to their build, move to a new current build at their next wake, and a run that
// started on an unversioned worker continues as new once it runs on a versioned one.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { TokenKeeperClient } from '../../src/client';
import { keeperVersionQuery, workflowIdFor } from '../../src/contract';
import { startSqliteServer } from '../../scripts/cluster/sqlite-server';
import { upgradeFleet } from '../../src/cli/upgrade';
import { recordHistory } from '../helpers/histories';
import type { KeeperEnv } from '../helpers/keeper-env';
import { keeperEnvForSuite } from '../helpers/keeper-env';
import { credentialsOf, uniqueCompanyId } from '../helpers/sandbox';
import { testCliPath } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';
import { startKeeperWorker } from '../helpers/versioned-worker';

const run = promisify(execFile);

const startWorker = startKeeperWorker;

/** `temporal worker deployment set-current-version`, as the README's upgrade guide runs it (retried until the
 * build's workers have polled). */
async function setCurrent(env: KeeperEnv, deploymentName: string, buildId: string): Promise<void> {
  const cli = await testCliPath();
  await waitFor(`build ${buildId} current`, () =>
    run(cli, [
      'worker',
      'deployment',
      'set-current-version',
      '--deployment-name',
      deploymentName,
      '--build-id',
      buildId,
      '--yes',
      '--address',
      env.server.address,
    ]).then(
      () => true,
      () => false,
    ),
  );
}

async function enrolCompany(env: KeeperEnv, keeper: TokenKeeperClient): Promise<string> {
  const companyId = uniqueCompanyId('ver');
  const seeded = await env.sandbox.seedCompany({ companyId });
  env.credentials.set(companyId, credentialsOf(seeded));
  await keeper.enrol(companyId, seeded.tokens);
  return companyId;
}

describe('Worker Versioning (server v1.31.2)', () => {
  const env = keeperEnvForSuite({ accessLifetimeMs: 600_000, refreshLifetimeMs: 1_200_000 }, async () =>
    startSqliteServer(await testCliPath()),
  );

  it('pins a run to its build and moves it to a new current build at its next wake, state carried', async () => {
    const taskQueue = `ver-${randomUUID()}`;
    const deploymentName = `keeper-${randomUUID().slice(0, 8)}`;
    const keeper = new TokenKeeperClient({ client: env.client, taskQueue });
    const b1 = await startWorker(env, taskQueue, { deploymentName, buildId: '1.0.0' });
    let b2: Awaited<ReturnType<typeof startWorker>> | undefined;
    try {
      await setCurrent(env, deploymentName, '1.0.0');
      const companyId = await enrolCompany(env, keeper);
      await keeper.refreshNow(companyId, 'one rotation on 1.0.0');
      const before = await keeper.status(companyId);
      assert.equal(before.build, '1.0.0');
      assert.deepEqual(await keeper.version(companyId), {
        protocol: 1,
        build: '1.0.0',
        deployment: deploymentName,
        behavior: 'PINNED',
      });
      const firstRun = (await env.client.workflow.getHandle(workflowIdFor(companyId)).describe()).runId;

      b2 = await startWorker(env, taskQueue, { deploymentName, buildId: '1.0.1' });
      await setCurrent(env, deploymentName, '1.0.1');
      // Still pinned until it wakes: nothing moves a sleeping run.
      assert.equal((await keeper.version(companyId)).build, '1.0.0');
      // What `plum-keeper upgrade --build-id 1.0.1` does: wake it (again, until the server has told it).
      const upgrade = await upgradeFleet(keeper, [companyId], { buildId: '1.0.1', timeoutMs: 30_000 });
      assert.deepEqual(upgrade.notMoved, []);
      assert.deepEqual(upgrade.builds, { '1.0.1': 1 });
      const after = await keeper.status(companyId);
      assert.equal(after.generation, before.generation, 'the move rotated nothing');
      assert.equal(after.upstreamRefreshes, before.upstreamRefreshes);
      assert.equal(after.status, 'ACTIVE');
      const handle = env.client.workflow.getHandle(workflowIdFor(companyId));
      assert.notEqual((await handle.describe()).runId, firstRun, 'continued as new');
      const token = await keeper.getAccessToken(companyId);
      assert.ok(token.expiresAt > Date.now(), 'the new run serves the carried token');
      await recordHistory(
        env.client.workflow.getHandle(workflowIdFor(companyId), firstRun),
        'pinned-moved-by-a-new-build',
        firstRun,
      );
    } finally {
      await b2?.stop();
      await b1.stop();
    }
  });

  it('a run that started unversioned continues as new at its first wake on a versioned worker', async () => {
    const taskQueue = `ver-${randomUUID()}`;
    const deploymentName = `keeper-${randomUUID().slice(0, 8)}`;
    const keeper = new TokenKeeperClient({ client: env.client, taskQueue });
    const legacy = await startWorker(env, taskQueue);
    let versioned: Awaited<ReturnType<typeof startWorker>> | undefined;
    try {
      const companyId = await enrolCompany(env, keeper);
      const handle = env.client.workflow.getHandle(workflowIdFor(companyId));
      const firstRun = (await handle.describe()).runId;
      assert.deepEqual(await handle.query(keeperVersionQuery), { protocol: 1, behavior: 'UNVERSIONED' });
      // The fleet's one-time move: versioned workers start, become current, the unversioned ones stop.
      versioned = await startWorker(env, taskQueue, { deploymentName, buildId: '1.0.0' });
      await setCurrent(env, deploymentName, '1.0.0');
      await legacy.stop();
      await upgradeFleet(keeper, [companyId], { buildId: '1.0.0', timeoutMs: 30_000 });
      await waitFor('a new run', async () => (await handle.describe()).runId !== firstRun);
      await waitFor('pinned to 1.0.0', async () => (await keeper.version(companyId)).build === '1.0.0');
      const history = await env.client.workflow.getHandle(workflowIdFor(companyId), firstRun).fetchHistory();
      const last = history.events?.at(-1);
      assert.ok(last?.workflowExecutionContinuedAsNewEventAttributes, 'the unversioned run continued as new');
      assert.equal((await keeper.status(companyId)).status, 'ACTIVE');
      await recordHistory(
        env.client.workflow.getHandle(workflowIdFor(companyId), firstRun),
        'moved-from-unversioned',
        firstRun,
      );
    } finally {
      await legacy.stop();
      await versioned?.stop();
    }
  });
});
