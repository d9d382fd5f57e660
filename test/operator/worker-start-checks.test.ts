// Issue 23: a missing or camelCase credentials file started the worker silently (every company then went
// NEEDS_REAUTH one refresh at a time); Plum's API credentials were demanded by every command sharing the env file.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TEST_KEY_ENV_VARS } from '../helpers/codec';
import { startNode } from '../helpers/child';
import { startTestServer } from '../helpers/temporal';

async function startWorker(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const run = startNode(['--import', 'tsx', 'src/worker.ts'], { PLUM_METRICS_PORT: '0', ...env });
  run.child.stdin.end();
  const code = await run.exited;
  return { code, stderr: run.stderr() };
}

describe('the worker checks its credentials before it starts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'plum-start-'));
  const production = {
    ...TEST_KEY_ENV_VARS,
    // Nothing listens there: a worker that got past its checks would fail differently.
    TEMPORAL_ADDRESS: '127.0.0.1:9',
    PLUM_BASE_URL: 'https://accounts.xoxoday.com/chef',
    PLUM_DATA_DIR: dir,
  };

  it('stops with the path and what is wrong: missing file, not JSON, wrong key names', async () => {
    const file = join(dir, 'credentials.json');
    const cases: [string | undefined, RegExp][] = [
      [undefined, new RegExp(`PLUM_CREDENTIALS_FILE: ${file} does not exist`)],
      ['{"acme": {"client_id": "id",', /is not valid JSON \(line 1, column \d+\)/],
      [
        JSON.stringify({ acme: { clientId: 'id', clientSecret: 'hidden-value' } }),
        /acme: Unrecognized keys: "clientId", "clientSecret".*each company id maps to \{"client_id": "…", "client_secret": "…"\}/,
      ],
    ];
    for (const [content, why] of cases) {
      if (content !== undefined) writeFileSync(file, content);
      const run = await startWorker({ ...production, PLUM_CREDENTIALS_FILE: file });
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, why);
      assert.doesNotMatch(run.stderr, /hidden-value/);
    }
  });

  it('a real Plum without any credentials stops the worker, but not an operator command from the same env', async () => {
    const worker = await startWorker(production);
    assert.equal(worker.code, 2);
    assert.match(worker.stderr, /PLUM_CREDENTIALS_FILE: PLUM_BASE_URL is set, so the worker needs API credentials/);
    const status = startNode(['bin/plum-keeper.js', 'status', 'acme'], production);
    status.child.stdin.end();
    await status.exited;
    assert.doesNotMatch(status.stderr(), /PLUM_CLIENT_ID|PLUM_CREDENTIALS_FILE/, 'operators need no Plum credentials');
    assert.match(status.stderr(), /Temporal|connect/i, 'it got as far as connecting');
  });
});

describe('a versioned worker refuses a server that cannot move pinned runs', () => {
  it('names the server version and what to use instead, and `PLUM_WORKER_VERSIONING=off` is the way on it', async () => {
    const server = await startTestServer();
    const dir = mkdtempSync(join(tmpdir(), 'plum-start-'));
    const credentials = join(dir, 'credentials.json');
    writeFileSync(credentials, JSON.stringify({ acme: { client_id: 'id', client_secret: 'secret' } }));
    try {
      const run = await startWorker({
        ...TEST_KEY_ENV_VARS,
        TEMPORAL_ADDRESS: server.address,
        PLUM_BASE_URL: 'https://accounts.xoxoday.com/chef',
        PLUM_CREDENTIALS_FILE: credentials,
        PLUM_DATA_DIR: dir,
      });
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, /Temporal server 1\.29\.\d+ cannot move a pinned keeper to a new build/);
      assert.match(run.stderr, /server of 1\.31\.2 or later.*PLUM_WORKER_VERSIONING=off/);
    } finally {
      await server.stop();
    }
  });
});
