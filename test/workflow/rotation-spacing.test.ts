// Issue 22, defect 8: the rotation spacing was hard-coded (30 s) and, with Plum lifetimes shorter than it, held every
// refresh past the token's expiry in silence.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AlertWebhook } from '../../src/activities/alert-webhook';
import { sayWhyRotationWaits } from '../../src/cli/rotation-wait';
import { TokenKeeperClient } from '../../src/client';
import type { StatusAlert } from '../../src/contract';
import { statusQuery } from '../../src/contract';
import { enrolSandboxCompany, keeperEnvForSuite, withWorker } from '../helpers/keeper-env';
import { waitFor } from '../helpers/wait';

describe('rotation spacing', () => {
  const env = keeperEnvForSuite({ accessLifetimeMs: 3000, refreshLifetimeMs: 600_000 });

  it('is PLUM_MIN_ROTATION_INTERVAL_MS, at least a second', () => {
    assert.equal(loadConfig({}).minRotationIntervalMs, 30_000);
    assert.equal(loadConfig({ PLUM_MIN_ROTATION_INTERVAL_MS: '5000' }).minRotationIntervalMs, 5000);
    assert.throws(
      () => loadConfig({ PLUM_MIN_ROTATION_INTERVAL_MS: '0' }),
      /PLUM_MIN_ROTATION_INTERVAL_MS: must be at least 1000/,
    );
  });

  it('says in the status, an alert and rotate --wait when it holds a refresh past the token’s expiry', async () => {
    const received: StatusAlert[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push(JSON.parse(body) as StatusAlert);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const { port } = receiver.address() as AddressInfo;
    const alerts = new AlertWebhook({ url: `http://127.0.0.1:${port}/alerts`, secret: 's', timeoutMs: 2000 });
    try {
      await withWorker(
        env,
        async (taskQueue) => {
          const { companyId, handle } = await enrolSandboxCompany(env, taskQueue);
          const keeper = new TokenKeeperClient({ client: env.client, taskQueue });
          await keeper.refreshNow(companyId, 'start the spacing');
          const said: string[] = [];
          const rotation = keeper.refreshNow(companyId, 'held by the spacing');
          await Promise.all([rotation, sayWhyRotationWaits(keeper, companyId, rotation, (line) => said.push(line))]);
          assert.equal(said.length, 1, 'rotate --wait says once why it waits');
          assert.match(
            said[0]!,
            /^waiting: refresh held until .*PLUM_MIN_ROTATION_INTERVAL_MS 8000 ms\): Plum's token lifetime \(3 s\) is shorter/,
          );
          // DEGRADED when the hold begins, EXPIRED when the token runs out during it, recovered by the refresh.
          const [entered, ...later] = await waitFor('the DEGRADED alert and its recovery', () => {
            const ofCompany = received.filter((a) => a.companyId === companyId);
            return ofCompany.some((a) => a.event === 'recovered') ? ofCompany : undefined;
          });
          assert.equal(entered!.status, 'DEGRADED');
          assert.match(entered!.lastError ?? '', /is shorter than it/);
          assert.match(entered!.action, /set PLUM_MIN_ROTATION_INTERVAL_MS on the workers below Plum's token lifetime/);
          assert.deepEqual(
            later.map((a) => `${a.event} ${a.status}`),
            ['entered EXPIRED', 'recovered ACTIVE'],
          );
          const status = await waitFor('the next hold said in the status', async () => {
            const s = await handle.query(statusQuery);
            return s.status === 'DEGRADED' && s.rotationHeld !== undefined ? s : undefined;
          });
          assert.match(status.lastError!, /refresh held until/);
        },
        { settings: { minRotationIntervalMs: 8000 }, alerts },
      );
    } finally {
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    }
  });

  it('rotate --wait says that Plum’s rate-limit penalty holds the rotation, and until when', async () => {
    await withWorker(env, async (taskQueue) => {
      const { companyId, handle } = await enrolSandboxCompany(env, taskQueue);
      const keeper = new TokenKeeperClient({ client: env.client, taskQueue });
      await env.sandbox.injectFault('refresh', { kind: 'rateLimit', penaltySeconds: 4 });
      await keeper.forceRefresh(companyId, 'meets the 429');
      const penalised = await waitFor('the penalty in the status', async () => {
        const s = await handle.query(statusQuery);
        return s.penaltyUntil !== undefined && s.penaltyUntil > Date.now() + 1500 ? s : undefined;
      });
      const said: string[] = [];
      const rotation = keeper.rotate(companyId, 'held by the penalty');
      await Promise.all([rotation, sayWhyRotationWaits(keeper, companyId, rotation, (line) => said.push(line))]);
      assert.deepEqual(said, [
        `waiting: Plum’s rate-limit penalty (HTTP 429) holds every refresh until ${new Date(penalised.penaltyUntil!).toISOString()}`,
      ]);
      assert.ok((await rotation).expiresAt > Date.now(), 'the rotation ran once the penalty passed');
    });
  });
});
