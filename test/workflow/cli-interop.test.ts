import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { TokenSealer } from '../../src/codec/token-seal';
import { WORKFLOW_TYPE, workflowIdFor } from '../../src/contract';
import type { KeeperEnv } from '../helpers/keeper-env';
import { startKeeperEnv, withWorker } from '../helpers/keeper-env';
import { credentialsOf, uniqueCompanyId } from '../helpers/sandbox';
import { testCliPath } from '../helpers/temporal';
import { AesGcmCodec } from '../../src/codec/aes-gcm-codec';
import { CodecServer } from '../../src/codec-server/server';
import { TEST_KEY_RING, TEST_TOKEN_KEY_RING } from '../helpers/codec';
import { waitFor } from '../helpers/wait';

const run = promisify(execFile);

describe('interop with the real temporal CLI (plain JSON through the codec server)', () => {
  let env: KeeperEnv;
  let codecServer: CodecServer;
  const codecToken = 'codec-test-token';
  before(async () => {
    env = await startKeeperEnv({ accessLifetimeMs: 600_000, refreshLifetimeMs: 1_200_000 });
    codecServer = await CodecServer.start({
      codec: new AesGcmCodec(TEST_KEY_RING),
      authToken: codecToken,
      allowedOrigins: [],
    });
  });
  after(async () => {
    await codecServer.stop();
    await env.stop();
  });

  /** Runs the CLI against the test server; through the codec server unless `raw`. */
  async function temporal(...args: string[]): Promise<string> {
    const codec = ['--codec-endpoint', codecServer.url, '--codec-auth', `Bearer ${codecToken}`];
    const { stdout } = await run(await testCliPath(), [...args, '--address', env.server.address, ...codec]);
    return stdout;
  }

  async function query(workflowId: string, type: string): Promise<Record<string, unknown>> {
    const out = await temporal('workflow', 'query', '--workflow-id', workflowId, '--type', type, '--output', 'json');
    const parsed = JSON.parse(out) as { queryResult: unknown[] };
    return parsed.queryResult[0] as Record<string, unknown>;
  }

  it('starts the workflow from Plum’s own JSON, queries accessToken and status, and sends forceRefresh', async () => {
    await withWorker(env, async (taskQueue) => {
      const companyId = uniqueCompanyId('cli');
      const seeded = await env.sandbox.seedCompany({ companyId });
      env.credentials.set(companyId, credentialsOf(seeded));
      const workflowId = workflowIdFor(companyId);
      // Expiries as numeric strings, as some Plum fixtures carry them.
      const tokens = { ...seeded.tokens, expires_in: String(seeded.tokens.expires_in) };
      await temporal(
        'workflow',
        'start',
        '--type',
        WORKFLOW_TYPE,
        '--task-queue',
        taskQueue,
        '--workflow-id',
        workflowId,
        '--input',
        JSON.stringify({ companyId, tokens }),
      );
      // Through the codec server the payload is encrypted but the tokens are not sealed: every UI user can read them
      // in history, so the keeper rotates at once (issue 22, defect 2).
      const status = await waitFor('the unsealed set to be rotated', async () => {
        const s = await query(workflowId, 'status');
        return s.generation === 1 && s.status === 'ACTIVE' ? s : undefined;
      });
      assert.equal(status.companyId, companyId);
      assert.equal(typeof status.tokensArrivedUnsealedAt, 'number');
      const latestPair = () => env.sandbox.store.requireCompany(companyId).pairs.at(-1);
      assert.equal(status.accessTokenExpiresAt, latestPair()?.accessExpiresAt);
      // Through the codec server (payload ring only) the token stays sealed; the token ring opens it.
      const token = await query(workflowId, 'accessToken');
      assert.match(String(token.accessToken), /^sealed:v1:/);
      assert.deepEqual(new TokenSealer(TEST_TOKEN_KEY_RING).unseal(token), {
        ...token,
        accessToken: latestPair()?.accessToken,
      });
      assert.notEqual(latestPair()?.accessToken, seeded.tokens.access_token);

      await temporal(
        'workflow',
        'signal',
        '--workflow-id',
        workflowId,
        '--name',
        'forceRefresh',
        '--input',
        '{"reason":"cli"}',
      );
      await waitFor('the forced rotation', async () => (await query(workflowId, 'status')).generation === 2);
      const rotated = new TokenSealer(TEST_TOKEN_KEY_RING).unseal(await query(workflowId, 'accessToken')) as {
        accessToken?: string;
      };
      assert.equal(rotated.accessToken, latestPair()?.accessToken);
      assert.equal(env.sandbox.rotationCount(companyId), 2);

      const raw = await run(await testCliPath(), [
        'workflow',
        'query',
        '--workflow-id',
        workflowId,
        '--type',
        'accessToken',
        '--output',
        'json',
        '--address',
        env.server.address,
      ]);
      assert.ok(!raw.stdout.includes(String(rotated.accessToken)), 'without the codec the token stays ciphertext');
      const described = await temporal('workflow', 'describe', '--workflow-id', workflowId, '--output', 'json');
      assert.match(described, /PlumTokenStatus/);
      assert.match(described, /PlumCompanyId/);
    });
  });
});
