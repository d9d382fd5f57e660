// The Python client (clients/python) against a real keeper: this test starts the server, a worker and the sandbox,
// enrols a company, and runs the client's pytest suite (the conformance vectors and the live tests) against them.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { TokenKeeperClient } from '../../src/client';
import { VENV_PYTHON } from '../../scripts/install-client-deps';
import { TEST_KEY_ENV_VARS } from '../helpers/codec';
import type { KeeperEnv } from '../helpers/keeper-env';
import { enrol, startKeeperEnv, withWorker } from '../helpers/keeper-env';
import { credentialsOf, uniqueCompanyId } from '../helpers/sandbox';

const execFileAsync = promisify(execFile);

describe('the Python client (clients/python) on a real keeper', () => {
  let env: KeeperEnv;
  before(async () => {
    env = await startKeeperEnv({ accessLifetimeMs: 600_000, refreshLifetimeMs: 1_200_000 });
  });
  after(() => env?.stop());

  it('passes its pytest suite: the vectors, the cache and single flight, typed errors, user tokens, refreshNow, PlumApi', async () => {
    await withWorker(env, async (taskQueue) => {
      const companyId = uniqueCompanyId('py');
      const admin = `admin@${companyId}.test`;
      const seeded = await env.sandbox.seedCompany({ companyId, admins: [admin] });
      env.credentials.set(companyId, credentialsOf(seeded));
      await enrol(env.client, taskQueue, { companyId, tokens: seeded.tokens });
      const token = await new TokenKeeperClient({ client: env.client, taskQueue }).getAccessToken(companyId);
      const run = await execFileAsync(
        VENV_PYTHON,
        ['-m', 'pytest', 'clients/python/tests', '-q', '-p', 'no:cacheprovider', '-rs'],
        {
          encoding: 'utf8',
          env: {
            PATH: process.env.PATH,
            PLUM_TEST_TEMPORAL_ADDRESS: env.server.address,
            PLUM_TEST_NAMESPACE: env.server.namespace,
            PLUM_TEST_COMPANY: companyId,
            PLUM_TEST_ADMIN_EMAIL: admin,
            PLUM_TEST_SANDBOX_URL: env.sandbox.url,
            PLUM_TEST_TOKEN_DIGEST: createHash('sha256').update(token.accessToken).digest('hex'),
            ...TEST_KEY_ENV_VARS,
          },
        },
      ).catch((error: { stdout?: string; stderr?: string }) => {
        assert.fail(`pytest failed:\n${error.stdout ?? ''}\n${error.stderr ?? ''}`);
      });
      assert.match(run.stdout, /\b11 passed\b/, run.stdout);
      assert.doesNotMatch(run.stdout, /skipped/);
      assert.ok(!run.stdout.includes(token.accessToken), 'no token in the output');
    });
  });
});
