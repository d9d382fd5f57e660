import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { AesGcmCodec } from '../../src/codec/aes-gcm-codec';
import { forceRefreshSignal, refreshNowUpdate, statusQuery, userTokenUpdate } from '../../src/contract';
import { TEST_KEY_ENV_VARS, TEST_KEY_RING } from '../helpers/codec';
import type { KeeperEnv } from '../helpers/keeper-env';
import { TEST_DATA_CONVERTER, enrol, startKeeperEnv } from '../helpers/keeper-env';
import { uniqueCompanyId } from '../helpers/sandbox';
import { testCliPath } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';
import type { WorkerChild } from '../helpers/worker-child';
import { credentialsFileFor, startWorkerChild } from '../helpers/worker-child';

/** Every object in `value` shaped like a Payload (metadata + bytes). */
function payloadsIn(value: unknown, found: Payload[] = []): Payload[] {
  if (!value || typeof value !== 'object') return found;
  const candidate = value as { metadata?: unknown; data?: unknown };
  if (candidate.metadata && typeof candidate.metadata === 'object' && candidate.data instanceof Uint8Array) {
    found.push(value as Payload);
    return found;
  }
  for (const child of Object.values(value)) payloadsIn(child, found);
  return found;
}

describe('secrets stay secret', () => {
  let env: KeeperEnv;
  let worker: WorkerChild;
  before(async () => {
    env = await startKeeperEnv({ accessLifetimeMs: 600_000, refreshLifetimeMs: 1_200_000 });
  });
  after(async () => {
    worker?.child.kill('SIGKILL');
    await env.stop();
  });

  it('no token or client secret in raw history, search attributes, memo or output; the codec shows them', async () => {
    const companyId = uniqueCompanyId('secret');
    const seeded = await env.sandbox.seedCompany({ companyId });
    const taskQueue = `secrets-${process.pid}`;
    worker = startWorkerChild(env, {
      taskQueue,
      credentialsFile: credentialsFileFor(seeded),
      extraEnv: { LOG_LEVEL: 'DEBUG' },
    });
    await waitFor('the worker', () => worker.said('ready'), 60_000);

    const { handle } = await enrol(env.client, taskQueue, { companyId, tokens: seeded.tokens });
    for (let i = 0; i < 3; i++) await handle.executeUpdate(refreshNowUpdate, { args: [{ reason: `rotation ${i}` }] });
    await handle.executeUpdate(userTokenUpdate, { args: [{ email: 'one@acme.test' }] });
    await handle.executeUpdate(userTokenUpdate, { args: [{ email: 'two@acme.test', scope: 'store_admin_manage' }] });
    await env.sandbox.setUserDisabled(companyId, 'three@acme.test', true);
    await assert.rejects(handle.executeUpdate(userTokenUpdate, { args: [{ email: 'three@acme.test' }] }));
    await env.sandbox.injectFault('refresh', { kind: 'serverError', status: 503 });
    await handle.signal(forceRefreshSignal, { reason: 'fail once' });
    await waitFor('the failure and recovery', async () => {
      const status = await handle.query(statusQuery);
      return status.generation === 4 && status.status === 'ACTIVE';
    });

    const company = env.sandbox.store.requireCompany(companyId);
    const userTokens = [...env.sandbox.store.userTokens.values()].filter((u) => u.companyId === companyId);
    assert.equal(userTokens.length, 2);
    const secrets = [
      ...company.pairs.flatMap((p) => [p.accessToken, p.refreshToken]),
      ...userTokens.flatMap((u) => [u.pair.accessToken, u.pair.refreshToken]),
      seeded.clientSecret,
    ];
    assert.equal(secrets.length, 5 * 2 + 2 * 2 + 1);

    const raw = new Client({ connection: env.client.connection });
    const rawHandle = raw.workflow.getHandle(handle.workflowId);
    const history = await rawHandle.fetchHistory();
    const historyBytes = Buffer.from(temporal.api.history.v1.History.encode(history).finish());
    const description = await rawHandle.describe();
    const visible = JSON.stringify({
      memo: description.raw.workflowExecutionInfo?.memo,
      searchAttributes: description.raw.workflowExecutionInfo?.searchAttributes,
      pending: description.raw.pendingActivities,
    });
    const { stdout: cliJson } = await promisify(execFile)(
      await testCliPath(),
      ['workflow', 'show', '--workflow-id', handle.workflowId, '--address', env.server.address, '--output', 'json'],
      { maxBuffer: 64 * 1024 * 1024 },
    );
    const failures = (history.events ?? [])
      .flatMap((e) => [
        e.workflowExecutionUpdateCompletedEventAttributes?.outcome?.failure?.message,
        e.activityTaskFailedEventAttributes?.failure?.message,
      ])
      .filter((m): m is string => typeof m === 'string');
    assert.ok(failures.length >= 2, 'the history holds failures');
    for (const message of failures) assert.equal(message, 'Encoded failure', 'failure messages are encrypted');

    for (const secret of secrets) {
      assert.equal(historyBytes.indexOf(secret), -1, 'a secret in raw history bytes');
      assert.ok(
        !cliJson.includes(secret) && !cliJson.includes(Buffer.from(secret).toString('base64')),
        'a secret in CLI JSON',
      );
      assert.ok(!visible.includes(secret), 'a secret in memo, search attributes or pending activities');
      assert.ok(!worker.output().includes(secret), 'a secret in the worker output');
    }
    assert.ok(worker.output().length > 0, 'the worker did log');

    const cliOutput: string[] = [];
    for (const args of [
      ['--json', 'status', companyId],
      ['token', companyId],
      ['--json', 'token', companyId],
      ['--json', 'user-token', companyId, 'one@acme.test'],
      ['user-token', companyId, 'three@acme.test'],
      ['--json', 'list'],
    ]) {
      const { stdout, stderr } = await promisify(execFile)(process.execPath, ['bin/plum-keeper.js', ...args], {
        env: { ...process.env, TEMPORAL_ADDRESS: env.server.address, ...TEST_KEY_ENV_VARS },
      }).catch((error: { stdout: string; stderr: string }) => error);
      cliOutput.push(stdout + stderr);
    }
    assert.match(cliOutput.join('\n'), /"status": "ACTIVE"/);
    for (const secret of secrets) assert.ok(!cliOutput.join('\n').includes(secret), 'a secret in the CLI output');

    const text = (payloads: { data?: Uint8Array | null }[]) =>
      payloads.map((p) => Buffer.from(p.data ?? new Uint8Array()).toString('utf8')).join('\n');
    const outerOnly = text(await new AesGcmCodec(TEST_KEY_RING).decode(payloadsIn(history)));
    const plain = text(await TEST_DATA_CONVERTER.payloadCodecs![0]!.decode(payloadsIn(history)));
    const newest = company.pairs.at(-1)!;
    for (const secret of [newest.accessToken, newest.refreshToken, userTokens[0]!.pair.accessToken]) {
      assert.ok(!outerOnly.includes(secret), 'the payload ring alone (the UI’s codec) shows a token');
      assert.ok(plain.includes(secret), 'the codec with the token ring shows the tokens');
    }
    assert.ok(!plain.includes(seeded.clientSecret), 'the client secret never entered history at all');
  });
});
