// Issue 24: a production worker (`node dist/worker.js`) loads the workflow bundle `npm run build` made, instead of
// running webpack at every start, and keeps tokens with it.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TokenKeeperClient } from '../../src/client';
import { TASK_QUEUE } from '../../src/contract';
import { startNode } from '../helpers/child';
import { TEST_KEY_ENV_VARS } from '../helpers/codec';
import { keeperEnvForSuite } from '../helpers/keeper-env';
import { uniqueCompanyId } from '../helpers/sandbox';
import { waitFor } from '../helpers/wait';

const BUNDLE = 'dist/workflow-bundle.js';
const NOT_BUILT = existsSync(BUNDLE) ? false : `no ${BUNDLE}: npm run build makes it (.ci/run builds before the tests)`;

describe('the production worker and its pre-built workflow bundle', { skip: NOT_BUILT }, () => {
  const env = keeperEnvForSuite({ accessLifetimeMs: 600_000, refreshLifetimeMs: 1_200_000 });

  it('starts without bundling, and its keepers work', async () => {
    const companyId = uniqueCompanyId('prebuilt');
    const seeded = await env.sandbox.seedCompany({ companyId });
    const credentials = join(mkdtempSync(join(tmpdir(), 'plum-prebuilt-')), 'credentials.json');
    writeFileSync(
      credentials,
      JSON.stringify({ [companyId]: { client_id: seeded.clientId, client_secret: seeded.clientSecret } }),
    );
    const worker = startNode(['dist/worker.js'], {
      ...TEST_KEY_ENV_VARS,
      TEMPORAL_ADDRESS: env.server.address,
      PLUM_BASE_URL: `${env.sandbox.url}`,
      PLUM_CREDENTIALS_FILE: credentials,
      PLUM_WORKER_VERSIONING: 'off',
      PLUM_METRICS_PORT: '0',
    });
    worker.child.stdin.end();
    try {
      await waitFor('the worker to poll', () => worker.stdout().includes('worker polling'), 60_000);
      assert.match(worker.stdout(), /workflow code: the pre-built bundle \S+dist\/workflow-bundle\.js/);
      assert.doesNotMatch(worker.stdout(), /bundled at start/);
      const keeper = new TokenKeeperClient({ client: env.client, taskQueue: TASK_QUEUE });
      assert.equal((await keeper.enrol(companyId, seeded.tokens)).status, 'ACTIVE');
      const rotated = await keeper.refreshNow(companyId, 'prebuilt bundle test');
      assert.ok(rotated.expiresAt > Date.now());
    } finally {
      worker.child.kill('SIGTERM');
    }
    assert.equal(await worker.exited, 0, worker.stderr());
  });
});
