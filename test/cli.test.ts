import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TASK_QUEUE, statusQuery } from '../src/contract';
import { TEST_ENROLMENT_PUBLIC_KEY, TEST_KEY_ENV_VARS } from './helpers/codec';
import type { KeeperEnv } from './helpers/keeper-env';
import { startKeeperEnv, withWorker } from './helpers/keeper-env';
import { credentialsOf, uniqueCompanyId } from './helpers/sandbox';
import { waitFor } from './helpers/wait';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('plum-keeper CLI, end to end through child processes', () => {
  let env: KeeperEnv;
  const dir = mkdtempSync(join(tmpdir(), 'plum-cli-'));
  const unrevealed: string[] = [];

  before(async () => {
    env = await startKeeperEnv({ accessLifetimeMs: 600_000, refreshLifetimeMs: 1_200_000 });
  });
  after(() => env.stop());

  function cli(
    args: string[],
    options: { stdin?: string; reveal?: boolean; env?: Record<string, string>; without?: string[] } = {},
  ): Promise<Run> {
    const clean = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith('PLUM_') && !k.startsWith('TEMPORAL_')),
    );
    const given = { TEMPORAL_ADDRESS: env.server.address, ...TEST_KEY_ENV_VARS, PLUM_DATA_DIR: dir, ...options.env };
    for (const name of options.without ?? []) delete (given as Record<string, string>)[name];
    const child = spawn(process.execPath, ['bin/plum-keeper.js', ...args], {
      env: { ...clean, ...given },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdin.end(options.stdin ?? '');
    return new Promise((resolve) =>
      child.on('close', (code) => {
        if (!args.includes('--reveal')) unrevealed.push(stdout);
        resolve({ code, stdout, stderr });
      }),
    );
  }

  const json = <T>(run: Run): T => {
    assert.equal(run.code, 0, run.stderr);
    return JSON.parse(run.stdout) as T;
  };

  async function company() {
    const companyId = uniqueCompanyId('cli');
    const seeded = await env.sandbox.seedCompany({ companyId });
    env.credentials.set(companyId, credentialsOf(seeded));
    const file = join(dir, `${companyId}.json`);
    writeFileSync(file, JSON.stringify(seeded.tokens));
    return { companyId, seeded, file };
  }

  it('every command works, with --json output that parses', async () => {
    await withWorker(
      env,
      async () => {
        const a = await company();
        const b = await company();
        assert.equal(
          json<{ status: string }>(await cli(['--json', 'enrol', a.companyId, '--tokens-file', a.file])).status,
          'ACTIVE',
        );
        const viaStdin = await cli(['enrol', b.companyId, '--tokens-file', '-'], {
          stdin: JSON.stringify(b.seeded.tokens),
        });
        assert.equal(viaStdin.code, 0, viaStdin.stderr);
        assert.match(viaStdin.stdout, new RegExp(`Enrolled ${b.companyId}: ACTIVE`));

        const status = json<{ companyId: string; generation: number }>(await cli(['--json', 'status', a.companyId]));
        assert.equal(status.companyId, a.companyId);
        assert.match((await cli(['status', a.companyId])).stdout, /access token expires/);

        await waitFor('both companies listed', async () => {
          const rows = json<{ companyId: string }[]>(await cli(['--json', 'list', '--status', 'ACTIVE']));
          return [a.companyId, b.companyId].every((id) => rows.some((r) => r.companyId === id));
        });

        const hidden = json<{ accessToken: string | null; revealed: boolean }>(
          await cli(['--json', 'token', a.companyId]),
        );
        assert.deepEqual([hidden.accessToken, hidden.revealed], [null, false]);
        assert.match((await cli(['token', a.companyId])).stdout, /<hidden: \d+ characters; add --reveal to print it>/);
        const revealed = await cli(['token', a.companyId, '--reveal']);
        assert.equal(revealed.stdout.split('\n')[0], a.seeded.tokens.access_token);

        const user = json<{ email: string; accessToken: string | null }>(
          await cli(['--json', 'user-token', a.companyId, 'boss@acme.test']),
        );
        assert.deepEqual([user.email, user.accessToken], ['boss@acme.test', null]);
        const userRevealed = json<{ accessToken: string }>(
          await cli(['--json', 'user-token', a.companyId, 'boss@acme.test', '--reveal']),
        );
        assert.match(userRevealed.accessToken, /^sbx_ut_/);

        json(await cli(['--json', 'rotate', a.companyId, '--wait']));
        json(await cli(['--json', 'rotate', a.companyId, '--reason', 'ops']));
        const handle = env.client.workflow.getHandle(`plum-company:${a.companyId}`);
        await waitFor('the second rotation', async () => (await handle.query(statusQuery)).generation >= 2);
        const rotated = json<{ lastRotationRequest: { reason: string; at: string }; nextRefreshAt: string }>(
          await cli(['--json', 'status', a.companyId]),
        );
        assert.equal(rotated.lastRotationRequest.reason, 'ops', 'the reason given to forceRefresh shows in status');
        for (const time of [rotated.lastRotationRequest.at, rotated.nextRefreshAt]) {
          assert.match(time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, '--json spells times in ISO 8601');
        }
        assert.match((await cli(['status', a.companyId])).stdout, /last rotation asked .* \(ops\)/);

        const fresh = await env.sandbox.regenerateTokens(a.companyId);
        const freshFile = join(dir, 'fresh.json');
        writeFileSync(freshFile, JSON.stringify(fresh));
        assert.equal(
          json<{ status: string }>(await cli(['--json', 'reseed', a.companyId, '--tokens-file', freshFile])).status,
          'ACTIVE',
        );

        const unconfirmed = await cli(['retire', b.companyId]);
        assert.equal(unconfirmed.code, 2);
        assert.match(unconfirmed.stderr, /not confirmed[\s\S]*--yes/);
        assert.equal((await cli(['status', b.companyId])).code, 0, 'an unconfirmed retire changes nothing');
        json(await cli(['--json', 'retire', b.companyId, '--yes']));
        await env.client.workflow.getHandle(`plum-company:${b.companyId}`).result();
        await waitFor('the retired company listed', async () =>
          json<{ companyId: string }[]>(await cli(['--json', 'list', '--status', 'RETIRED'])).some(
            (r) => r.companyId === b.companyId,
          ),
        );
        const gone = await cli(['token', b.companyId]);
        assert.equal(gone.code, 2);
        assert.match(gone.stderr, /not enrolled/);

        const secrets = env.sandbox.store
          .requireCompany(a.companyId)
          .pairs.flatMap((p) => [p.accessToken, p.refreshToken]);
        secrets.push(a.seeded.clientSecret, b.seeded.tokens.access_token, userRevealed.accessToken);
        for (const out of unrevealed)
          for (const secret of secrets) assert.ok(!out.includes(secret), 'a secret on stdout without --reveal');
      },
      { taskQueue: TASK_QUEUE },
    );
  });

  it('says why a rotation cannot happen on the first call, and the failure of an ended run, decoded', async () => {
    await withWorker(
      env,
      async () => {
        const a = await company();
        json(await cli(['--json', 'enrol', a.companyId, '--tokens-file', a.file]));
        await env.sandbox.killTokens(a.companyId, 'password_reset');
        const waited = await cli(['rotate', a.companyId, '--wait']);
        assert.equal(waited.code, 1);
        assert.match(waited.stderr, /needs re-authorisation \(TOKEN_KILLED\)/, 'the cause on the first call');
        assert.match(waited.stderr, new RegExp(`next: generate new tokens .*plum-keeper reseed ${a.companyId}`));
        const asked = await cli(['rotate', a.companyId]);
        assert.equal(asked.code, 1, 'a rotation the keeper would ignore is not reported as requested');
        assert.match(asked.stderr, /rotation not requested, the keeper would ignore it: .*TOKEN_KILLED/);
        assert.doesNotMatch(asked.stdout, /Rotation requested/);
        const status = await cli(['status', a.companyId]);
        assert.match(
          status.stdout,
          new RegExp(
            `next: generate new tokens in the Plum dashboard .*plum-keeper reseed ${a.companyId} --tokens-file FILE`,
          ),
        );

        const broken = uniqueCompanyId('cli-broken');
        await env.client.workflow.start('companyTokenWorkflow', {
          taskQueue: TASK_QUEUE,
          workflowId: `plum-company:${broken}`,
          args: [{ companyId: 'someone-else' }],
        });
        const ended = await waitFor('the failed run', async () => {
          const run = await cli(['status', broken]);
          return /has failed/.test(run.stderr) ? run : undefined;
        });
        assert.equal(ended.code, 1);
        assert.match(ended.stderr, /has failed: workflow id plum-company:\S+ does not match company someone-else/);
        assert.doesNotMatch(ended.stderr, /Encoded failure/);
      },
      { taskQueue: TASK_QUEUE },
    );
  });

  it('every operator command works with the payload ring alone; only token and user-token need the token ring', async () => {
    // What on-call holds: the payload ring, and a shared env file naming the real Plum without its credentials.
    const onCall = (args: string[], stdin?: string) =>
      cli(args, {
        ...(stdin !== undefined && { stdin }),
        without: ['PLUM_TOKEN_KEYS'],
        env: { PLUM_BASE_URL: 'https://accounts.xoxoday.com/chef' },
      });
    await withWorker(
      env,
      async () => {
        const a = await company();
        const b = await company();
        const enrolled = await onCall(['enrol', a.companyId, '--tokens-file', a.file]);
        assert.equal(enrolled.code, 0, enrolled.stderr);
        assert.match(
          enrolled.stdout,
          /Neither PLUM_ENROLMENT_PUBLIC_KEY nor PLUM_TOKEN_KEYS is set here[\s\S]*rotates it once now/,
        );
        // The prescribed on-call shell holds the enrolment public key too: the set reaches history sealed, no rotation.
        const c = await company();
        const sealedEnrol = await cli(['enrol', c.companyId, '--tokens-file', c.file], {
          without: ['PLUM_TOKEN_KEYS'],
          env: { PLUM_ENROLMENT_PUBLIC_KEY: TEST_ENROLMENT_PUBLIC_KEY.toString() },
        });
        assert.equal(sealedEnrol.code, 0, sealedEnrol.stderr);
        assert.doesNotMatch(sealedEnrol.stdout, /rotates/);
        const sealedStatus = await env.client.workflow.getHandle(`plum-company:${c.companyId}`).query(statusQuery);
        assert.equal(sealedStatus.tokensArrivedUnsealedAt, undefined, 'an enrolment sealed for the workers is no leak');
        assert.equal(sealedStatus.generation, 0, 'and needs no rotation');
        assert.equal((await onCall(['enrol', b.companyId, '--tokens-file', b.file])).code, 0);
        const handle = env.client.workflow.getHandle(`plum-company:${a.companyId}`);
        const rotated = await waitFor('the rotation of the set sent without the token ring', async () => {
          const s = await handle.query(statusQuery);
          return s.tokensArrivedUnsealedAt !== undefined && s.generation >= 1 ? s : undefined;
        });
        assert.ok(rotated.upstreamRefreshes >= 1);

        assert.match((await onCall(['status', a.companyId])).stdout, /access token expires/);
        await waitFor('both listed', async () => {
          const rows = json<{ companyId: string }[]>(await onCall(['--json', 'list']));
          return [a.companyId, b.companyId].every((id) => rows.some((r) => r.companyId === id));
        });
        const waited = json<{ rotated: boolean; expiresAt: string }>(
          await onCall(['--json', 'rotate', a.companyId, '--wait']),
        );
        assert.equal(waited.rotated, true);
        assert.ok(Date.parse(waited.expiresAt) > Date.now());
        json(await onCall(['--json', 'rotate', a.companyId, '--reason', 'on call']));
        const fresh = await env.sandbox.regenerateTokens(b.companyId);
        const freshFile = join(dir, `${b.companyId}-fresh.json`);
        writeFileSync(freshFile, JSON.stringify(fresh));
        const reseeded = await onCall(['reseed', b.companyId, '--tokens-file', freshFile]);
        assert.equal(reseeded.code, 0, reseeded.stderr);
        assert.match(reseeded.stdout, /Reseeded .*: ACTIVE[\s\S]*rotates it once now/);
        json(await onCall(['--json', 'retire', b.companyId, '--yes']));
        const doctor = await onCall(['--json', 'doctor']);
        const checks = JSON.parse(doctor.stdout) as { name: string; outcome: string; detail: string }[];
        assert.ok(
          !checks.some((c) => c.outcome === 'problem' && /keys|configuration/.test(c.name)),
          JSON.stringify(checks),
        );

        for (const args of [
          ['token', a.companyId, '--reveal'],
          ['user-token', a.companyId, 'boss@acme.test'],
        ]) {
          const refused = await onCall(args);
          assert.equal(refused.code, 2, refused.stderr);
          assert.match(refused.stderr, new RegExp(`plum-keeper ${args[0]} needs PLUM_TOKEN_KEYS: it prints a token`));
          assert.match(refused.stderr, /every other command .* needs only PLUM_CODEC_KEYS/);
          assert.equal(refused.stdout, '');
        }
      },
      { taskQueue: TASK_QUEUE },
    );
  });

  it('prints its version', async () => {
    const run = await cli(['--version']);
    assert.equal(run.code, 0);
    assert.equal(run.stdout.trim(), (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version);
  });

  it('bad input exits 2 with a clear message and changes nothing', async () => {
    await withWorker(
      env,
      async () => {
        const a = await company();
        json(await cli(['--json', 'enrol', a.companyId, '--tokens-file', a.file]));
        const handle = env.client.workflow.getHandle(`plum-company:${a.companyId}`);
        const eventsBefore = await waitFor('a settled history', async () => {
          const events = (await handle.fetchHistory()).events ?? [];
          const last = events.at(-1);
          const busy = last?.workflowTaskScheduledEventAttributes || last?.workflowTaskStartedEventAttributes;
          return events.some((e) => e.timerStartedEventAttributes) && !busy ? events.length : undefined;
        });

        const cases: [string[], RegExp][] = [
          [['status', 'nobody-here'], /company nobody-here is not enrolled[\s\S]*next: enrol the company first/],
          [['user-token', a.companyId, 'not-an-email'], /email: email must be an e-mail address/],
          [['status', 'bad id!'], /companyId: companyId must be 1–128 characters/],
          [
            ['enrol', 'new-co', '--tokens-file', '/nonexistent/tokens.json'],
            /--tokens-file: cannot read \/nonexistent\/tokens\.json \(ENOENT\)/,
          ],
          [['enrol', 'new-co'], /required option '--tokens-file <file>' not specified/],
          [['list', '--status', 'SLEEPY'], /Allowed choices are ACTIVE/],
          [['frobnicate'], /unknown command 'frobnicate'[\s\S]*plum-keeper --help/],
        ];
        for (const [args, message] of cases) {
          const run = await cli(args);
          assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
          assert.match(run.stderr, message);
        }
        const badJson = join(dir, 'bad.json');
        writeFileSync(badJson, '{"refresh_token": ');
        const parse = await cli(['--json', 'reseed', a.companyId, '--tokens-file', badJson]);
        assert.equal(parse.code, 2);
        assert.equal((JSON.parse(parse.stdout) as { error: { name: string } }).error.name, 'InvalidInputError');

        assert.equal(((await handle.fetchHistory()).events ?? []).length, eventsBefore, 'nothing changed in Temporal');
        await assert.rejects(env.client.workflow.getHandle('plum-company:new-co').describe(), /not found/i);
      },
      { taskQueue: TASK_QUEUE },
    );
  });
});
