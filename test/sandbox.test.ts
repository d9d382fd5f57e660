import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { PlumClient } from '../src/plum/client';
import type { PlumSandbox, StartSandboxOptions } from '../src/sandbox/plum-sandbox';
import { RemoteSandbox } from '../src/sandbox/remote-sandbox';
import { ManualClock, credentialsOf, startSandbox } from './helpers/sandbox';

const HOUR = 3600_000;
let sandbox: PlumSandbox | undefined;

async function setUp(options: StartSandboxOptions = {}) {
  const clock = new ManualClock();
  sandbox = await startSandbox({ now: clock.now, ...options });
  const company = await sandbox.seedCompany({ companyId: 'acme', admins: ['boss@acme.test'] });
  const client = new PlumClient({ baseUrl: sandbox.url, now: clock.now });
  return { sandbox, clock, company, client, credentials: credentialsOf(company) };
}

async function rawRefresh(url: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${url}/v1/oauth/token/company`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
});

describe('sandbox rotation', () => {
  it('strict: a spent refresh token is rejected at once', async () => {
    const { client, company, credentials } = await setUp({ rotation: 'strict' });
    const next = await client.refresh(company.tokens.refresh_token, credentials);
    await assert.rejects(client.refresh(company.tokens.refresh_token, credentials), { reason: 'INVALID_GRANT' });
    await client.refresh(next.refreshToken, credentials);
  });

  it('grace: a spent refresh token works inside the window and not after it', async () => {
    const { client, clock, company, credentials } = await setUp({ rotation: 'grace', graceMs: 6 * HOUR });
    await client.refresh(company.tokens.refresh_token, credentials);
    clock.advance(5 * HOUR);
    await client.refresh(company.tokens.refresh_token, credentials);
    clock.advance(1 * HOUR + 1);
    await assert.rejects(client.refresh(company.tokens.refresh_token, credentials), { reason: 'INVALID_GRANT' });
  });

  it('grace: the old access token keeps its own expiry', async () => {
    const { client, company, credentials } = await setUp({ rotation: 'grace' });
    await client.refresh(company.tokens.refresh_token, credentials);
    const validity = await client.validate(company.tokens.access_token);
    assert.equal(validity.accessTokenExpiresAt, company.tokens.access_token_expiry);
  });

  it('max active pairs: the oldest pair is evicted', async () => {
    const { client, company, credentials } = await setUp({ maxActivePairs: 2 });
    const second = await client.refresh(company.tokens.refresh_token, credentials);
    await client.validate(company.tokens.access_token);
    await client.refresh(second.refreshToken, credentials);
    await assert.rejects(client.validate(company.tokens.access_token), { reason: 'TOKEN_KILLED' });
    await client.validate(second.accessToken);
  });

  it('an expired refresh token is rejected; an expired access token fails validation', async () => {
    const { client, clock, company, credentials } = await setUp({
      accessLifetimeMs: HOUR,
      refreshLifetimeMs: 2 * HOUR,
    });
    clock.advance(HOUR);
    await assert.rejects(client.validate(company.tokens.access_token), { reason: 'TOKEN_KILLED' });
    clock.advance(HOUR);
    await assert.rejects(client.refresh(company.tokens.refresh_token, credentials), { reason: 'INVALID_GRANT' });
  });

  it('killed tokens answer with the documented shapes', async () => {
    const { sandbox, company } = await setUp();
    await sandbox.killTokens('acme', 'password_reset');
    const legacy = await rawRefresh(sandbox.url, {
      grant_type: 'refresh_token',
      refresh_token: company.tokens.refresh_token,
      client_id: company.clientId,
      client_secret: company.clientSecret,
    });
    assert.deepEqual(legacy, { status: 401, body: { success: 0, error_message_id: 'auth.token_error' } });

    const fresh = await sandbox.regenerateTokens('acme');
    await sandbox.killTokens('acme', 'tokens_regenerated');
    const oauth = await rawRefresh(sandbox.url, {
      grant_type: 'refresh_token',
      refresh_token: fresh.refresh_token,
      client_id: company.clientId,
      client_secret: company.clientSecret,
    });
    assert.equal(oauth.status, 401);
    assert.deepEqual(oauth.body, { error: 'invalid_token', error_description: 'invalid/expired token' });
  });

  it('validates the request: grant_type, all four fields, JSON', async () => {
    const { sandbox, company } = await setUp();
    const base = {
      grant_type: 'refresh_token',
      refresh_token: company.tokens.refresh_token,
      client_id: company.clientId,
      client_secret: company.clientSecret,
    };
    assert.equal((await rawRefresh(sandbox.url, { ...base, grant_type: 'password' })).status, 400);
    assert.equal((await rawRefresh(sandbox.url, { ...base, client_secret: undefined })).status, 400);
    const notJson = await fetch(`${sandbox.url}/v1/oauth/token/company`, { method: 'POST', body: 'x' });
    assert.equal(notJson.status, 415);
    assert.equal((await sandbox.stats()).rotations.acme, undefined);
  });

  it('rate limits with penaltySeconds and keeps refusing during the penalty', async () => {
    const { sandbox, clock, client, company } = await setUp({ rateLimitPerWindow: 2, penaltySeconds: 30 });
    const input = { email: 'boss@acme.test', scope: 'user_session' };
    await client.createUserToken(company.tokens.access_token, input);
    await client.createUserToken(company.tokens.access_token, input);
    await assert.rejects(client.createUserToken(company.tokens.access_token, input), { retryAfterMs: 30_000 });
    clock.advance(20_000);
    await assert.rejects(client.createUserToken(company.tokens.access_token, input), { retryAfterMs: 10_000 });
    clock.advance(10_000);
    await client.createUserToken(company.tokens.access_token, input);
    assert.equal(sandbox.callCount('createUserToken', 'rate_limited'), 2);
  });

  it('user tokens: only Super Admins, known scopes, company tokens', async () => {
    const { client, company } = await setUp();
    await assert.rejects(
      client.createUserToken(company.tokens.access_token, { email: 'intruder@acme.test', scope: 'user_session' }),
      { reason: 'BAD_REQUEST' },
    );
    await assert.rejects(
      client.createUserToken(company.tokens.access_token, { email: 'boss@acme.test', scope: 'root' }),
      { reason: 'BAD_REQUEST' },
    );
    const user = await client.createUserToken(company.tokens.access_token, {
      email: 'BOSS@acme.test',
      scope: 'store_admin_manage',
    });
    await assert.rejects(client.createUserToken(user.accessToken, { email: 'boss@acme.test', scope: 'user_session' }), {
      reason: 'TOKEN_KILLED',
    });
  });

  it('counts every call per endpoint and outcome, and rotations per company', async () => {
    const { sandbox, client, company, credentials } = await setUp();
    const next = await client.refresh(company.tokens.refresh_token, credentials);
    await assert.rejects(client.refresh(company.tokens.refresh_token, credentials));
    await sandbox.injectFault('refresh', { kind: 'resetAfterCommit' });
    await assert.rejects(client.refresh(next.refreshToken, credentials), { unknownKind: 'RESET' });
    await client.validate(next.accessToken);
    const stats = await sandbox.stats();
    assert.deepEqual(stats.calls.refresh, { ok: 1, rejected: 1, reset: 1 });
    assert.deepEqual(stats.calls.validate, { ok: 1 });
    assert.equal(stats.rotations.acme, 2, 'the reset came after the rotation was committed');
  });

  it('a fault applies the given number of times, then calls go through', async () => {
    const { sandbox, client, company, credentials } = await setUp();
    await sandbox.injectFault('refresh', { kind: 'serverError', status: 502, times: 2 });
    await assert.rejects(client.refresh(company.tokens.refresh_token, credentials), { status: 502 });
    await assert.rejects(client.refresh(company.tokens.refresh_token, credentials), { status: 502 });
    await client.refresh(company.tokens.refresh_token, credentials);
  });

  it('is steered from another process through the admin routes', async () => {
    const { sandbox: local, client } = await setUp({ adminToken: 'admin-secret' });
    const remote = new RemoteSandbox(local.url, 'admin-secret');
    const seeded = await remote.seedCompany({ companyId: 'remote-co' });
    await remote.injectFault('validate', { kind: 'serverError', status: 500 });
    await assert.rejects(client.validate(seeded.tokens.access_token), { name: 'PlumServerError' });
    await remote.setCompanyDisabled('remote-co', true);
    await assert.rejects(client.refresh(seeded.tokens.refresh_token, credentialsOf(seeded)), {
      reason: 'COMPANY_DISABLED',
    });
    assert.deepEqual((await remote.stats()).calls.refresh, { rejected: 1 });
    await assert.rejects(new RemoteSandbox(local.url).stats(), /admin token required/);
    await assert.rejects(remote.killTokens('nobody', 'password_reset'), /no company "nobody"/);
  });
});
