// Clients and keepers one build apart: this client against the previous build's keeper (the last unversioned build,
// read from git and run as its own worker process), and the previous build's client against this keeper.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@temporalio/client';
import { TokenKeeperClient } from '../../src/client';
import type * as ClientModule from '../../src/client';
import { fieldsFor } from '../../src/client/keeper-protocol';
import { KEEPER_PROTOCOL, workflowIdFor } from '../../src/contract';
import { PREVIOUS_BUILD_REF, prepareBuild } from '../../chaos/lib/builds';
import { testKey } from '../helpers/codec';
import { keeperEnvForSuite, withWorker } from '../helpers/keeper-env';
import { credentialsOf, uniqueCompanyId } from '../helpers/sandbox';
import { startBuildWorker } from '../helpers/previous-build-worker';
import { credentialsFileFor } from '../helpers/worker-child';

const ADMIN = 'admin@compat.test';

describe(`clients and keepers one build apart (previous build ${PREVIOUS_BUILD_REF})`, () => {
  const env = keeperEnvForSuite({ accessLifetimeMs: 600_000, refreshLifetimeMs: 1_200_000 });
  const dir = mkdtempSync(join(tmpdir(), 'plum-compat-'));
  let previous: Awaited<ReturnType<typeof prepareBuild>>;

  before(async () => {
    previous = await prepareBuild({ dir, deploymentName: 'unused', buildId: 'previous', ref: PREVIOUS_BUILD_REF });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('this client reads, rotates and exchanges through a keeper of the previous build', async () => {
    const companyId = uniqueCompanyId('compat');
    const seeded = await env.sandbox.seedCompany({ companyId, admins: [ADMIN] });
    const taskQueue = `compat-${companyId}`;
    const worker = startBuildWorker(previous, {
      temporalAddress: env.server.address,
      plumUrl: env.sandbox.url,
      credentialsFile: credentialsFileFor(seeded),
      taskQueue,
    });
    try {
      await worker.ready;
      const keeper = new TokenKeeperClient({ client: env.client, taskQueue });
      await keeper.enrol(companyId, seeded.tokens);
      assert.deepEqual(
        await keeper.version(companyId),
        { protocol: 0, behavior: 'UNVERSIONED' },
        'no keeperVersion query: protocol 0',
      );
      const token = await keeper.getAccessToken(companyId);
      const rotated = await keeper.refreshNow(companyId, 'compat');
      assert.notEqual(rotated.accessToken, token.accessToken);
      const user = await keeper.getUserToken(companyId, ADMIN);
      assert.equal(user.email, ADMIN);
      const status = await keeper.status(companyId);
      assert.equal(status.status, 'ACTIVE');
      assert.equal(status.generation, 1);
      assert.equal(status.build, undefined, 'the previous build says no build');
      assert.equal(env.sandbox.callCount('refresh', 'rejected'), 0);
    } finally {
      await worker.stop();
    }
  });

  it('the previous build’s client reads and rotates through this keeper', async () => {
    const old = (await import(join(previous.tree, 'src', 'client', 'index.ts'))) as typeof ClientModule;
    const { KeyRing } = old;
    const client = new Client({
      connection: env.client.connection,
      dataConverter: old.createDataConverter(
        KeyRing.of({ 'test-a': testKey('a') }, 'test-a'),
        KeyRing.of({ 'test-t': testKey('t') }, 'test-t', 'PLUM_TOKEN_KEYS'),
      ),
    });
    await withWorker(env, async (taskQueue) => {
      const companyId = uniqueCompanyId('compat-old');
      const seeded = await env.sandbox.seedCompany({ companyId, admins: [ADMIN] });
      env.credentials.set(companyId, credentialsOf(seeded));
      const keeper = new old.TokenKeeperClient({ client, taskQueue });
      await keeper.enrol(companyId, seeded.tokens);
      const token = await keeper.getAccessToken(companyId);
      const rotated = await keeper.refreshNow(companyId, 'old client');
      assert.notEqual(rotated.accessToken, token.accessToken);
      assert.equal((await keeper.getUserToken(companyId, ADMIN)).email, ADMIN);
      const status = await keeper.status(companyId);
      assert.equal(status.status, 'ACTIVE');
      assert.ok((await env.client.workflow.getHandle(workflowIdFor(companyId)).describe()).status.name === 'RUNNING');
    });
  });

  it('sends a newer field only to a keeper whose protocol has it', () => {
    const input = { reason: 'r', seenExpiresAt: 1 };
    assert.deepEqual(fieldsFor('refreshNow', input, 0), { reason: 'r' });
    assert.deepEqual(fieldsFor('refreshNow', input, KEEPER_PROTOCOL), input);
  });
});
