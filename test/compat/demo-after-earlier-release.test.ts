// `npm start` over a `.data` an earlier release's demo wrote: the demo keeper there is a run 3.x cannot replay. The
// demo replaces it (its tokens came from a sandbox that is gone) instead of waiting on a keeper no worker can run.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { TokenKeeperClient } from '../../src/client';
import { statusQuery, TASK_QUEUE, workflowIdFor } from '../../src/contract';
import { DevServer, freePort } from '../../src/dev-server/dev-server';
import { DEMO_COMPANY } from '../../src/main/embedded-demo';
import { runsEarlierRelease } from '../../src/main/earlier-release-run';
import { PREVIOUS_BUILD_REF, prepareBuild } from '../../chaos/lib/builds';
import { TEST_KEY_ENV_VARS } from '../helpers/codec';
import { TEST_DATA_CONVERTER } from '../helpers/keeper-env';
import { startMainJob } from '../helpers/main-job';
import { startSandbox } from '../helpers/sandbox';
import { testCliPath } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';
import { startBuildWorker } from '../helpers/previous-build-worker';
import { credentialsFileFor } from '../helpers/worker-child';

/** Runs the demo company's keeper on the previous release's worker against the dev server persisted in `dataDir`. */
async function enrolDemoWithPreviousRelease(dataDir: string, port: number, buildsDir: string): Promise<string> {
  const previous = await prepareBuild({
    dir: buildsDir,
    deploymentName: 'unused',
    buildId: 'previous',
    ref: PREVIOUS_BUILD_REF,
  });
  const server = await DevServer.start({
    cliPath: await testCliPath(),
    dbFile: join(dataDir, 'temporal.sqlite'),
    port,
  });
  const sandbox = await startSandbox();
  try {
    const seeded = await sandbox.seedCompany({ companyId: DEMO_COMPANY });
    const worker = startBuildWorker(previous, {
      temporalAddress: server.address,
      plumUrl: sandbox.url,
      credentialsFile: credentialsFileFor(seeded),
      taskQueue: TASK_QUEUE,
    });
    const connection = await Connection.connect({ address: server.address });
    try {
      await worker.ready;
      const client = new Client({ connection, dataConverter: TEST_DATA_CONVERTER });
      await new TokenKeeperClient({ client, taskQueue: TASK_QUEUE }).enrol(DEMO_COMPANY, seeded.tokens);
      assert.equal(await runsEarlierRelease(client, workflowIdFor(DEMO_COMPANY)), true, 'seen as an earlier release’s');
      return (await client.workflow.getHandle(workflowIdFor(DEMO_COMPANY)).describe()).runId;
    } finally {
      await connection.close();
      await worker.stop();
    }
  } finally {
    await sandbox.stop();
    await server.stop();
  }
}

describe('npm start over a .data an earlier release’s demo wrote', () => {
  const dir = mkdtempSync(join(tmpdir(), 'plum-demo-upgrade-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('terminates the old demo keeper, says so, and enrols the demo company afresh', async () => {
    const dataDir = join(dir, 'data');
    const port = await freePort();
    const oldRunId = await enrolDemoWithPreviousRelease(dataDir, port, dir);
    const job = startMainJob({
      ...TEST_KEY_ENV_VARS,
      TEMPORAL_CLI_PATH: await testCliPath(),
      PLUM_DATA_DIR: dataDir,
      PLUM_EMBEDDED_TEMPORAL_PORT: String(port),
      TEMPORAL_UI_PORT: String(await freePort()),
      PLUM_CODEC_SERVER_PORT: String(await freePort()),
      PLUM_METRICS_PORT: String(await freePort()),
    });
    let code: number | null;
    try {
      await waitFor(
        'the demo enrolled',
        () => job.stdout().includes('demo company "demo-company" enrolled'),
        120_000,
      ).catch((error: unknown) =>
        assert.fail(`${String(error)}\n${job.stdout().slice(-3000)}\n${job.stderr().slice(-3000)}`),
      );
      assert.match(
        job.stdout(),
        /the demo keeper plum-company:demo-company in .+ was written by a release before 3\.0, which this release cannot replay: terminated it/,
      );
      const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
      try {
        const client = new Client({ connection, dataConverter: TEST_DATA_CONVERTER });
        const old = await client.workflow.getHandle(workflowIdFor(DEMO_COMPANY), oldRunId).describe();
        assert.equal(old.status.name, 'TERMINATED');
        const handle = client.workflow.getHandle(workflowIdFor(DEMO_COMPANY));
        assert.notEqual((await handle.describe()).runId, oldRunId);
        assert.equal((await handle.query(statusQuery)).status, 'ACTIVE');
        assert.equal(await runsEarlierRelease(client, workflowIdFor(DEMO_COMPANY)), false);
      } finally {
        await connection.close();
      }
    } finally {
      code = await job.stop('SIGINT');
    }
    assert.equal(code, 0, job.stderr());
    assert.doesNotMatch(
      job.stdout() + job.stderr(),
      /cannot replay: run a 2\.3 fleet/,
      'no refusal: nothing ran the old run',
    );
  });
});
