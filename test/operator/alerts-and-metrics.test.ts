import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { IncomingHttpHeaders } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { verifyAlertSignature } from '../../src/activities/alert-webhook';
import { TokenKeeperClient } from '../../src/client';
import { NeedsReauthError } from '../../src/client/errors';
import { connectTemporalClient } from '../../src/client/temporal-client';
import type { StatusAlert } from '../../src/contract';
import { ALERT_SIGNATURE_HEADER, ALERT_TIMESTAMP_HEADER } from '../../src/contract';
import type { PlumSandbox } from '../../src/sandbox/plum-sandbox';
import type { DevServer } from '../../src/dev-server/dev-server';
import { freePort } from '../../src/dev-server/dev-server';
import { TEST_KEY_ENV_VARS, TEST_KEY_RING, TEST_TOKEN_KEY_RING } from '../helpers/codec';
import type { MainJob } from '../helpers/main-job';
import { startMainJob } from '../helpers/main-job';
import { startSandbox, uniqueCompanyId } from '../helpers/sandbox';
import { startTestServer } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';

const WEBHOOK_SECRET = 'alert-signing-secret-for-tests';

interface Received {
  body: string;
  headers: IncomingHttpHeaders;
}

/** A real local HTTP server standing in for the team's alert receiver; it refuses the first delivery once. */
async function startReceiver(): Promise<{ url: string; received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  let refusedOnce = false;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (!refusedOnce) {
        refusedOnce = true;
        res.writeHead(503).end();
        return;
      }
      received.push({ body, headers: req.headers });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/plum`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The value of one sample of `/metrics`, or undefined when the series is absent. */
function sample(metrics: string, series: string): number | undefined {
  const line = metrics.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('operators see and get alerted: metrics, health and the webhook of the main job (external mode)', () => {
  let server: DevServer;
  let sandbox: PlumSandbox;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let job: MainJob;
  let metricsUrl: string;
  let keeper: TokenKeeperClient;
  const companyId = uniqueCompanyId('alerts');

  before(async () => {
    [server, sandbox, receiver] = await Promise.all([startTestServer(), startSandbox(), startReceiver()]);
    const seeded = await sandbox.seedCompany({ companyId });
    const dir = mkdtempSync(join(tmpdir(), 'plum-alerts-'));
    const credentialsFile = join(dir, 'credentials.json');
    writeFileSync(
      credentialsFile,
      JSON.stringify({ [companyId]: { client_id: seeded.clientId, client_secret: seeded.clientSecret } }),
    );
    const port = await freePort();
    metricsUrl = `http://127.0.0.1:${port}`;
    job = startMainJob({
      TEMPORAL_ADDRESS: server.address,
      ...TEST_KEY_ENV_VARS,
      PLUM_BASE_URL: sandbox.url,
      PLUM_CREDENTIALS_FILE: credentialsFile,
      PLUM_METRICS_PORT: String(port),
      PLUM_METRICS_HOST: '127.0.0.1',
      PLUM_METRICS_POLL_MS: '1000',
      PLUM_ALERT_WEBHOOK_URL: receiver.url,
      PLUM_ALERT_WEBHOOK_SECRET: WEBHOOK_SECRET,
      PLUM_DATA_DIR: dir,
      // The dev server (1.29) cannot move pinned runs: a versioned worker refuses it (issue 31), so this one is not.
      PLUM_WORKER_VERSIONING: 'off',
    });
    await waitFor('the worker to be ready', async () => (await fetch(`${metricsUrl}/readyz`)).ok, 90_000);
    const client = await connectTemporalClient({
      connectionOptions: { address: server.address },
      namespace: 'default',
      keyRing: TEST_KEY_RING,
      tokenKeyRing: TEST_TOKEN_KEY_RING,
    });
    keeper = new TokenKeeperClient({ client });
    await keeper.enrol(companyId, seeded.tokens);
  });

  after(async () => {
    await keeper?.close();
    await job?.stop();
    await Promise.all([receiver?.close(), sandbox?.stop(), server?.stop()]);
  });

  const metrics = async () => (await fetch(`${metricsUrl}/metrics`)).text();
  const companies = async (status: string) => sample(await metrics(), `plum_keeper_companies{status="${status}"}`);

  it('answers /healthz and /readyz, and /metrics holds the SDK’s metrics beside the keeper’s', async () => {
    assert.deepEqual(await (await fetch(`${metricsUrl}/healthz`)).json(), { status: 'ok' });
    const ready = (await (await fetch(`${metricsUrl}/readyz`)).json()) as { ready: boolean; checks: object };
    assert.equal(ready.ready, true, JSON.stringify(ready));
    await waitFor('the company counted ACTIVE', async () => (await companies('ACTIVE')) === 1);
    await keeper.refreshNow(companyId, 'test: one rotation');
    const text = await waitFor('the rotation counted', async () => {
      const now = await metrics();
      return /^plum_keeper_rotations_total\{[^}]*\} 1$/m.test(now) ? now : undefined;
    });
    assert.ok((sample(text, 'plum_keeper_rotations_total') ?? 0) === 0, 'no unlabelled series');
    assert.match(text, /^plum_keeper_rotations_total\{namespace="default",task_queue="plum-tokens"\} 1$/m);
    assert.match(text, /^temporal_workflow_completed_total|^temporal_worker_task_slots_available/m, 'SDK metrics');
    assert.match(text, /^plum_keeper_upstream_calls_total\{[^}]*endpoint="refresh"[^}]*outcome="ok"/m);
    assert.match(text, /^plum_keeper_upstream_latency_seconds_bucket/m);
    assert.ok((sample(text, 'plum_keeper_soonest_access_token_expiry_timestamp_seconds') ?? 0) * 1000 > Date.now());
    assert.doesNotMatch(text, new RegExp(companyId), 'no series is labelled by company');
    assert.equal(sample(text, 'plum_keeper_worker_polling'), 1);
  });

  it('labels the keeper’s series in snake_case like the SDK’s, each counter exported at 0 from the start', async () => {
    const text = await metrics();
    const keeperSeries = text.split('\n').filter((line) => line.startsWith('plum_keeper_'));
    for (const line of keeperSeries) assert.doesNotMatch(line, /[a-z][A-Z]\w*="/, `a camelCase label: ${line}`);
    for (const series of [
      'plum_keeper_lost_in_flight_total{namespace="default",task_queue="plum-tokens"}',
      'plum_keeper_status_transitions_total{namespace="default",status="EXPIRED",task_queue="plum-tokens"}',
      'plum_keeper_user_token_requests_total{namespace="default",result="failed",task_queue="plum-tokens"}',
      'plum_keeper_upstream_calls_total{endpoint="validate",namespace="default",outcome="server_error",task_queue="plum-tokens"}',
      'plum_keeper_rate_limit_penalties_total{endpoint="user_token",namespace="default",task_queue="plum-tokens"}',
    ]) {
      assert.equal(sample(text, series), 0, `${series} is exported at 0`);
    }
    assert.equal(sample(text, 'plum_keeper_companies{status="RETIRED"}'), undefined, 'a gauge that could never move');
  });

  it('the container health check script passes against the running worker and fails against a closed port', async () => {
    const check = async (port: string) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/main/healthcheck.ts', 'readyz'], {
        env: { ...process.env, PLUM_METRICS_PORT: port },
        stdio: 'ignore',
      });
      const [code] = (await once(child, 'exit')) as [number];
      return code;
    };
    assert.equal(await check(new URL(metricsUrl).port), 0);
    assert.equal(await check(String(await freePort())), 1);
  });

  it('a forced NEEDS_REAUTH moves the gauge and fires the webhook once, signed; recovery fires it once more', async () => {
    await sandbox.killTokens(companyId, 'password_reset');
    await assert.rejects(keeper.refreshNow(companyId, 'test: token killed'), (error: unknown) => {
      assert.ok(error instanceof NeedsReauthError, String(error));
      assert.match(error.message, /TOKEN_KILLED/);
      return true;
    });
    await waitFor('the NEEDS_REAUTH gauge', async () => (await companies('NEEDS_REAUTH')) === 1);
    assert.equal(await companies('ACTIVE'), 0);
    // A dead company pages through its own alert only: the expiring-soon signal counts companies that can refresh.
    await waitFor(
      'the soonest expiry to leave out the dead company',
      async () => sample(await metrics(), 'plum_keeper_soonest_access_token_expiry_timestamp_seconds') === 0,
    );
    await waitFor('the alert', () => receiver.received.length === 1, 60_000);

    const fresh = await sandbox.regenerateTokens(companyId);
    await keeper.reseed(companyId, fresh);
    await waitFor('the recovery alert', () => receiver.received.length === 2, 60_000);
    await waitFor('the ACTIVE gauge', async () => (await companies('ACTIVE')) === 1);
    assert.equal(receiver.received.length, 2, 'exactly one alert per transition');

    const alerts = receiver.received.map(({ body, headers }) => {
      const signature = String(headers[ALERT_SIGNATURE_HEADER]);
      const timestamp = String(headers[ALERT_TIMESTAMP_HEADER]);
      assert.ok(verifyAlertSignature(WEBHOOK_SECRET, timestamp, body, signature), 'signature verifies');
      assert.ok(!verifyAlertSignature('another secret', timestamp, body, signature), 'a wrong secret fails');
      for (const token of [fresh.access_token, fresh.refresh_token]) assert.ok(!body.includes(token));
      assert.doesNotMatch(body, /sbx_(at|rt)_|secret/);
      return JSON.parse(body) as StatusAlert;
    });
    assert.equal(alerts[0]!.event, 'entered');
    assert.equal(alerts[0]!.status, 'NEEDS_REAUTH');
    assert.equal(alerts[0]!.reason, 'TOKEN_KILLED');
    assert.match(alerts[0]!.action, new RegExp(`plum-keeper reseed ${companyId} --tokens-file FILE`));
    assert.equal(alerts[1]!.event, 'recovered');
    assert.equal(alerts[1]!.previous, 'NEEDS_REAUTH');
    assert.equal(alerts[1]!.status, 'ACTIVE');
  });

  it('logs JSON lines, each about a company carrying companyId and workflowId, with no secret', () => {
    const lines = job.stdout().trim().split('\n');
    assert.ok(lines.length > 3, `stdout: ${job.stdout()}\nstderr: ${job.stderr()}`);
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const aboutCompany = entries.filter((e) => e.workflowId !== undefined);
    assert.ok(aboutCompany.length > 0);
    for (const entry of aboutCompany) assert.equal(entry.companyId, companyId, JSON.stringify(entry));
    assert.ok(entries.some((e) => e.msg === 'token set refreshed'));
    assert.doesNotMatch(job.stdout() + job.stderr(), /sbx_(at|rt|secret)_|alert-signing-secret/);
  });
});
