import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { AlertWebhook, verifyAlertSignature } from '../../src/activities/alert-webhook';
import type { StatusAlert } from '../../src/contract';
import {
  ALERT_SIGNATURE_HEADER,
  ALERT_TIMESTAMP_HEADER,
  forceRefreshSignal,
  reseedUpdate,
  statusQuery,
} from '../../src/contract';
import { recordHistory } from '../helpers/histories';
import { enrolSandboxCompany, keeperEnvForSuite, withWorker } from '../helpers/keeper-env';
import { waitFor } from '../helpers/wait';

const SECRET = 'status-alert-test-secret';

describe('status alerts: one signed webhook call per transition, through an activity', () => {
  const env = keeperEnvForSuite({ accessLifetimeMs: 600_000, refreshLifetimeMs: 1_200_000 });
  const received: StatusAlert[] = [];
  let server: ReturnType<typeof createServer>;
  let webhook: AlertWebhook;

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const timestamp = String(req.headers[ALERT_TIMESTAMP_HEADER]);
        const signature = String(req.headers[ALERT_SIGNATURE_HEADER]);
        if (!verifyAlertSignature(SECRET, timestamp, body, signature)) return void res.writeHead(401).end();
        received.push(JSON.parse(body) as StatusAlert);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    webhook = new AlertWebhook({ url: `http://127.0.0.1:${port}/alerts`, secret: SECRET, timeoutMs: 2000 });
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const alertsOf = (companyId: string) => received.filter((a) => a.companyId === companyId);

  it('DEGRADED on failing refreshes, then recovered: two alerts, not one per failed attempt', async () => {
    await withWorker(
      env,
      async (taskQueue) => {
        const { companyId, handle } = await enrolSandboxCompany(env, taskQueue);
        // Two workflow-level failures in a row (three activity attempts each), then Plum answers again.
        for (let i = 0; i < 6; i++) await env.sandbox.injectFault('refresh', { kind: 'serverError' });
        await handle.signal(forceRefreshSignal, { reason: 'alert test' });
        await waitFor('the recovery', async () => (await handle.query(statusQuery)).generation === 1, 60_000);
        await waitFor('two alerts', () => alertsOf(companyId).length === 2, 30_000);
        const [entered, recovered] = alertsOf(companyId);
        assert.equal(entered!.event, 'entered');
        assert.equal(entered!.status, 'DEGRADED');
        assert.match(entered!.lastError ?? '', /server error/);
        assert.equal(recovered!.event, 'recovered');
        assert.equal(recovered!.previous, 'DEGRADED');
        assert.notEqual(entered!.id, recovered!.id);
      },
      { alerts: webhook },
    );
  });

  it('NEEDS_REAUTH, then a reseed: entered with the reseed command, then recovered', async () => {
    await withWorker(
      env,
      async (taskQueue) => {
        const { companyId, handle } = await enrolSandboxCompany(env, taskQueue);
        await env.sandbox.killTokens(companyId, 'password_reset');
        await handle.signal(forceRefreshSignal, { reason: 'alert test' });
        await waitFor('the alert', () => alertsOf(companyId).length === 1, 30_000);
        assert.equal(alertsOf(companyId)[0]!.status, 'NEEDS_REAUTH');
        assert.match(alertsOf(companyId)[0]!.action, new RegExp(`plum-keeper reseed ${companyId} --tokens-file FILE`));
        const fresh = await env.sandbox.regenerateTokens(companyId);
        await handle.executeUpdate(reseedUpdate, { args: [{ tokens: fresh }] });
        await waitFor('the recovery alert', () => alertsOf(companyId).length === 2, 30_000);
        assert.equal(alertsOf(companyId)[1]!.event, 'recovered');
        await recordHistory(handle, 'status-alerts');
      },
      { alerts: webhook },
    );
  });

  it('a worker without a webhook schedules no alert activity', async () => {
    await withWorker(env, async (taskQueue) => {
      const { companyId, handle } = await enrolSandboxCompany(env, taskQueue);
      await env.sandbox.killTokens(companyId, 'password_reset');
      await handle.signal(forceRefreshSignal, { reason: 'alert test' });
      await waitFor('NEEDS_REAUTH', async () => (await handle.query(statusQuery)).status === 'NEEDS_REAUTH');
      const history = await handle.fetchHistory();
      const types = (history.events ?? []).map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name);
      assert.ok(!types.includes('sendStatusAlert'));
      assert.equal(alertsOf(companyId).length, 0);
    });
  });
});
