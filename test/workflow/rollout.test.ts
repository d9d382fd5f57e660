// The workers' own rollout on Temporal server v1.31.2: a new build takes over by itself, a retiring worker hands its
// keepers over, keepers stranded on a build no worker polls are adopted by the current build, and an operator's
// rollback stays set while newer workers restart.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { TokenKeeperClient } from '../../src/client';
import { readDeployment } from '../../src/deployment/deployment-view';
import type { RolloutPolicy } from '../../src/deployment/rollout-decision';
import { keeperReplayOptions } from '../../src/worker/create-worker';
import { Rollout } from '../../src/worker/rollout';
import { rolloutLines, rolloutReport } from '../../src/cli/rollout-command';
import { startSqliteServer } from '../../scripts/cluster/sqlite-server';
import type { KeeperEnv } from '../helpers/keeper-env';
import { TEST_DATA_CONVERTER, keeperEnvForSuite, workflowBundle } from '../helpers/keeper-env';
import { credentialsOf, uniqueCompanyId } from '../helpers/sandbox';
import { refuseFirstCalls } from '../helpers/grpc-faults';
import { testCliPath } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';
import { startKeeperWorker } from '../helpers/versioned-worker';

/** The server answers an idle poll after 2 s, so a worker gone for 10 s is taken for gone (with room for a loaded machine). */
const LONG_POLL = 'matching.longPollExpirationInterval:\n  - value: 2s\n';
const POLL_STALE_MS = 10_000;
const AUTO: RolloutPolicy = {
  mode: 'auto',
  rampPercent: 50,
  rampMs: 0,
  handoverTimeoutMs: 30_000,
  pollStaleMs: POLL_STALE_MS,
};

interface BuildWorker {
  rollout: Rollout;
  stop(options?: { handOver?: boolean }): Promise<Awaited<ReturnType<Rollout['handOver']>>>;
}

async function startBuild(
  env: KeeperEnv,
  taskQueue: string,
  version: { deploymentName: string; buildId: string },
  policy: RolloutPolicy = AUTO,
  rolloutBy: { client?: Client; warn?: (line: string) => void } = {},
): Promise<BuildWorker> {
  const { worker, running } = await startKeeperWorker(env, taskQueue, version);
  const rollout = new Rollout({
    client: rolloutBy.client ?? env.client,
    version,
    taskQueue,
    policy,
    replayOptions: keeperReplayOptions(await workflowBundle(), TEST_DATA_CONVERTER),
    log: { info: () => {}, warn: rolloutBy.warn ?? (() => {}) },
    intervalMs: 1000,
  });
  try {
    await rollout.start();
  } catch (error) {
    worker.shutdown();
    await running;
    throw error;
  }
  return {
    rollout,
    async stop(options = {}) {
      const handover = options.handOver ? await rollout.handOver() : (await rollout.stop(), undefined);
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      return handover;
    },
  };
}

async function enrol(env: KeeperEnv, keeper: TokenKeeperClient, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const companyId = uniqueCompanyId('rollout');
    const seeded = await env.sandbox.seedCompany({ companyId });
    env.credentials.set(companyId, credentialsOf(seeded));
    await keeper.enrol(companyId, seeded.tokens);
    ids.push(companyId);
  }
  return ids;
}

async function buildsOf(keeper: TokenKeeperClient, ids: readonly string[]): Promise<string[]> {
  return Promise.all(ids.map(async (id) => (await keeper.version(id)).build ?? 'unversioned'));
}

describe('the workers’ rollout (server v1.31.2)', () => {
  const env = keeperEnvForSuite({ accessLifetimeMs: 600_000, refreshLifetimeMs: 1_200_000 }, async () =>
    startSqliteServer(await testCliPath(), () => {}, undefined, LONG_POLL),
  );
  const fresh = () => ({ taskQueue: `rollout-${randomUUID()}`, deploymentName: `keeper-${randomUUID().slice(0, 8)}` });

  it('a new build becomes current once it polls; the old one hands its keepers over on stop', async () => {
    const { taskQueue, deploymentName } = fresh();
    const keeper = new TokenKeeperClient({ client: env.client, taskQueue });
    const b1 = await startBuild(env, taskQueue, { deploymentName, buildId: '2.3.0+aaaa' });
    let b2: BuildWorker | undefined;
    try {
      assert.equal((await readDeployment(env.client, deploymentName, taskQueue))?.current, '2.3.0+aaaa');
      const ids = await enrol(env, keeper, 3);
      const before = await Promise.all(ids.map((id) => keeper.status(id)));
      b2 = await startBuild(env, taskQueue, { deploymentName, buildId: '2.4.0+bbbb' });
      assert.equal((await readDeployment(env.client, deploymentName, taskQueue))?.current, '2.4.0+bbbb');
      const handover = await b1.stop({ handOver: true });
      assert.deepEqual({ ...handover, seconds: 0 }, { handedOver: 3, remaining: 0, seconds: 0 });
      assert.deepEqual(await buildsOf(keeper, ids), ['2.4.0+bbbb', '2.4.0+bbbb', '2.4.0+bbbb']);
      const after = await Promise.all(ids.map((id) => keeper.status(id)));
      assert.deepEqual(
        after.map((s) => [s.status, s.generation]),
        before.map((s) => ['ACTIVE', s.generation]),
        'the move rotated nothing',
      );
      // A stray worker of the old build started again takes nothing back.
      const stray = await startBuild(env, taskQueue, { deploymentName, buildId: '2.3.0+aaaa' });
      assert.equal(stray.rollout.lastDecision?.kind, 'leave');
      assert.match(stray.rollout.lastDecision?.why ?? '', /is newer/);
      await stray.stop();
      assert.equal((await readDeployment(env.client, deploymentName, taskQueue))?.current, '2.4.0+bbbb');
    } finally {
      await b2?.stop();
      await b1.stop();
    }
  });

  it('a first decision the server refuses is made again from a fresh read: the build still becomes current', async () => {
    const { taskQueue, deploymentName } = fresh();
    const fault = refuseFirstCalls('SetWorkerDeploymentCurrentVersion', 1);
    const connection = await Connection.connect({ address: env.server.address, interceptors: [fault.interceptor] });
    const warnings: string[] = [];
    try {
      const client = new Client({ connection, namespace: env.client.options.namespace });
      const b1 = await startBuild(env, taskQueue, { deploymentName, buildId: '2.3.0+cccc' }, AUTO, {
        client,
        warn: (line) => warnings.push(line),
      });
      try {
        assert.equal(fault.refused(), 1, 'the first attempt was refused');
        assert.equal(b1.rollout.settled, true);
        assert.match(warnings.join('\n'), /the first decision failed, trying again: .*refused on the wire by the test/);
        assert.equal((await readDeployment(env.client, deploymentName, taskQueue))?.current, '2.3.0+cccc');
        assert.equal(b1.rollout.lastDecision?.kind, 'promote');
      } finally {
        await b1.stop();
      }
    } finally {
      await connection.close();
    }
  });

  it('keepers left on a build whose workers all stopped are adopted by the new current build', async () => {
    const { taskQueue, deploymentName } = fresh();
    const keeper = new TokenKeeperClient({ client: env.client, taskQueue });
    const b1 = await startBuild(env, taskQueue, { deploymentName, buildId: '2.3.0+aaaa' });
    const ids = await enrol(env, keeper, 3);
    // compose: every old worker stops while its build is still current (no handover possible), then new ones start.
    assert.equal(await b1.stop({ handOver: true }), undefined, 'the current build drains as before');
    const b2 = await startBuild(env, taskQueue, { deploymentName, buildId: '2.3.0+cccc' });
    try {
      assert.equal((await readDeployment(env.client, deploymentName, taskQueue))?.current, '2.3.0+cccc');
      // A deadline, not a timing: adoption waits out the staleness window, then replays and moves each keeper.
      await waitFor(
        'every keeper adopted',
        async () => (await buildsOf(keeper, ids)).every((build) => build === '2.3.0+cccc'),
        120_000,
      );
      for (const id of ids) {
        const info = (await env.client.workflow.getHandle(`plum-company:${id}`).describe()).raw.workflowExecutionInfo;
        assert.equal(info?.versioningInfo?.versioningOverride ?? null, null, `${id}: the adoption pin is lifted`);
        assert.equal((await keeper.status(id)).status, 'ACTIVE');
      }
    } finally {
      await b2.stop();
    }
  });

  it("an operator's rollback stays set while a newer build's workers restart; rollout resume hands it back", async () => {
    const { taskQueue, deploymentName } = fresh();
    const b1 = await startBuild(env, taskQueue, { deploymentName, buildId: '2.3.0+aaaa' });
    let b2 = await startBuild(env, taskQueue, { deploymentName, buildId: '2.4.0+bbbb' });
    try {
      assert.equal((await readDeployment(env.client, deploymentName, taskQueue))?.current, '2.4.0+bbbb');
      await env.client.workflowService.setWorkerDeploymentCurrentVersion({
        namespace: env.server.namespace,
        deploymentName,
        buildId: '2.3.0+aaaa',
        identity: 'temporal-cli:oncall@laptop',
      });
      await b2.stop();
      b2 = await startBuild(env, taskQueue, { deploymentName, buildId: '2.4.0+bbbb' });
      assert.equal((await readDeployment(env.client, deploymentName, taskQueue))?.current, '2.3.0+aaaa');
      assert.match(b2.rollout.lastDecision?.why ?? '', /temporal-cli:oncall@laptop.*rollout resume/);
      // What `plum-keeper rollout` prints for it: the operator named, the way back, each build with its workers.
      const lines = rolloutLines(await rolloutReport(env.client, deploymentName, AUTO, taskQueue)).join('\n');
      assert.match(lines, /current build 2\.3\.0\+aaaa/);
      assert.match(
        lines,
        /an operator \(temporal-cli:oncall@laptop\); the workers leave it until: npx plum-keeper rollout resume/,
      );
      assert.match(lines, /2\.4\.0\+bbbb: 0 keepers, workers polling/);
    } finally {
      await b2.stop();
      await b1.stop();
    }
  });
});
