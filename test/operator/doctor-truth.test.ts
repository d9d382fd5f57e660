// Issue 23: doctor said "✓ workers" minutes after every worker had stopped, then blamed the codec keys for the
// queries no worker answered; it never looked at the credentials file. Each thing is broken on purpose here and the
// one right diagnosis asserted.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import type { Check } from '../../src/cli/doctor';
import { POLLER_GONE_AFTER_MS, workersPolling } from '../../src/cli/doctor-fleet';
import { TASK_QUEUE } from '../../src/contract';
import { TEST_KEY_ENV_VARS, testKey } from '../helpers/codec';
import { startNode } from '../helpers/child';
import { enrolSandboxCompany, keeperEnvForSuite, withWorker } from '../helpers/keeper-env';

const WRONG_PAYLOAD_RING = `other-a:${testKey('other a').toString('base64')}`;
const WRONG_TOKEN_RING = `other-t:${testKey('other t').toString('base64')}`;

async function doctor(env: Record<string, string>): Promise<{ code: number | null; checks: Check[]; out: string }> {
  const run = startNode(['bin/plum-keeper.js', '--json', 'doctor'], env);
  run.child.stdin.end();
  const code = await run.exited;
  return { code, checks: JSON.parse(run.stdout()) as Check[], out: run.stdout() + run.stderr() };
}

const named = (checks: Check[], name: string) => {
  const check = checks.find((c) => c.name === name);
  assert.ok(check, `no "${name}" check in ${checks.map((c) => c.name).join(', ')}`);
  return check;
};

describe('plum-keeper doctor tells the truth', () => {
  const env = keeperEnvForSuite({ accessLifetimeMs: 600_000, refreshLifetimeMs: 1_200_000 });
  const dir = mkdtempSync(join(tmpdir(), 'plum-doctor-'));
  let companyId: string;
  let base: Record<string, string>;

  before(async () => {
    // One keeper enrolled by a worker that has stopped since: the fleet an on-call engineer finds at 3 a.m.
    companyId = await withWorker(env, async (taskQueue) => (await enrolSandboxCompany(env, taskQueue)).companyId, {
      taskQueue: TASK_QUEUE,
    });
    base = { TEMPORAL_ADDRESS: env.server.address, PLUM_CODEC_KEYS: TEST_KEY_ENV_VARS.PLUM_CODEC_KEYS };
  });

  it('counts a worker by its last poll: one gone for a minute is gone, and the one line says so', async () => {
    const now = await workersPolling(env.client, env.server.namespace);
    assert.equal(now.outcome, 'ok', 'the worker polled moments ago');
    const later = await workersPolling(env.client, env.server.namespace, Date.now() + POLLER_GONE_AFTER_MS + 1000);
    assert.equal(later.outcome, 'problem');
    assert.match(
      later.detail,
      /^no worker polls plum-tokens: no token is refreshed and no query is answered; the last poll was \d+ s ago$/,
    );
    assert.match(later.fix ?? '', /start the workers/);
  });

  it('with the payload ring only, reads the keeper’s history without any worker, and blames no key', async () => {
    const run = await doctor(base);
    assert.match(
      named(run.checks, 'codec keys').detail,
      new RegExp(`^decrypted \\d+ payload\\(s\\) of plum-company:${companyId}$`),
    );
    assert.equal(named(run.checks, 'codec keys').outcome, 'ok');
    assert.equal(named(run.checks, 'token keys').outcome, 'skipped');
    assert.match(
      named(run.checks, 'token keys').detail,
      /not set here: fine for every command but token and user-token/,
    );
    assert.ok(!run.checks.some((c) => c.outcome === 'problem' && /keys/.test(c.name)), run.out);
  });

  it('opens the sealed tokens where the CLI holds the token ring', async () => {
    const run = await doctor({ ...base, PLUM_TOKEN_KEYS: TEST_KEY_ENV_VARS.PLUM_TOKEN_KEYS });
    const check = named(run.checks, 'token keys');
    assert.equal(check.outcome, 'ok', check.detail);
    assert.match(check.detail, /^opened the sealed tokens of \d+ payload\(s\)/);
  });

  it('a payload ring without the workers’ key: the codec keys, and only they, are the problem', async () => {
    const run = await doctor({ ...base, PLUM_CODEC_KEYS: WRONG_PAYLOAD_RING });
    const check = named(run.checks, 'codec keys');
    assert.equal(check.outcome, 'problem');
    assert.match(check.detail, /key id "test-a", which is not in the key ring/);
    assert.match(check.fix ?? '', /PLUM_CODEC_KEYS/);
    assert.equal(run.code, 1);
  });

  it('a token ring without the workers’ key: the token keys are the problem', async () => {
    const run = await doctor({ ...base, PLUM_TOKEN_KEYS: WRONG_TOKEN_RING });
    assert.equal(named(run.checks, 'codec keys').outcome, 'ok');
    const check = named(run.checks, 'token keys');
    assert.equal(check.outcome, 'problem');
    assert.match(check.detail, /sealed with key id "test-t", which is not in the token key ring/);
    assert.match(check.fix ?? '', /PLUM_TOKEN_KEYS/);
  });

  it('checks the credentials file: missing, camelCase, lacking an enrolled company, then right', async () => {
    const file = join(dir, 'credentials.json');
    const check = async () =>
      named((await doctor({ ...base, PLUM_CREDENTIALS_FILE: file })).checks, 'credentials file');

    const missing = await check();
    assert.deepEqual([missing.outcome, missing.detail], ['problem', `PLUM_CREDENTIALS_FILE ${file} does not exist`]);

    writeFileSync(file, JSON.stringify({ [companyId]: { clientId: 'id', clientSecret: 'not-shown-anywhere' } }));
    const camel = await check();
    assert.equal(camel.outcome, 'problem');
    assert.match(camel.detail, /clientId/);
    assert.match(camel.detail, /each company id maps to \{"client_id": "…", "client_secret": "…"\}/);
    assert.doesNotMatch(camel.detail, /not-shown-anywhere/);

    writeFileSync(file, JSON.stringify({ 'another-company': { client_id: 'id', client_secret: 's' } }));
    const lacking = await check();
    assert.equal(lacking.outcome, 'problem');
    assert.match(
      lacking.detail,
      new RegExp(`no "client_id"/"client_secret" for enrolled company\\(ies\\): ${companyId}$`),
    );

    writeFileSync(file, JSON.stringify({ [companyId]: { client_id: 'id', client_secret: 's' } }));
    assert.equal((await check()).outcome, 'ok');
  });
});
