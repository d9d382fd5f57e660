import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadOrCreateLocalKeyRing } from '../src/codec/local-key';
import { freePort } from '../src/dev-server/dev-server';
import { TEST_KEYS_ENV, TEST_KEY_ENV_VARS } from './helpers/codec';
import { waitFor } from './helpers/wait';

const cleanEnv = () =>
  Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PLUM_') && !k.startsWith('TEMPORAL_')));

/** Starts the codec server with `env`, encodes one payload with `headers` (expecting 200), stops it; its stdout. */
async function serveOnce(env: Record<string, string>, headers: Record<string, string>): Promise<string> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main/codec-server.ts'], {
    env: { ...cleanEnv(), ...env, PLUM_CODEC_SERVER_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  try {
    await waitFor('the codec server', () => out.includes('Codec server at'), 30_000);
    const res = await fetch(`http://127.0.0.1:${port}/encode`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ payloads: [{ metadata: {}, data: Buffer.from('"x"').toString('base64') }] }),
    });
    assert.equal(res.status, 200);
  } finally {
    child.kill('SIGTERM');
  }
  const [code] = (await once(child, 'exit')) as [number | null];
  assert.equal(code, 0);
  return out;
}

describe('npm run codec-server', () => {
  it('refuses to start without keys, or without a bearer token beside a real Temporal (exit 2)', () => {
    const emptyDataDir = mkdtempSync(join(tmpdir(), 'plum-codec-'));
    const noKeys = spawnSync(process.execPath, ['--import', 'tsx', 'src/main/codec-server.ts'], {
      env: { ...cleanEnv(), PLUM_DATA_DIR: emptyDataDir },
      encoding: 'utf8',
    });
    assert.equal(noKeys.status, 2);
    assert.match(noKeys.stderr, /PLUM_CODEC_KEYS: no key ring: run npm start once \(it makes .*codec-keys\)/);
    const noToken = spawnSync(process.execPath, ['--import', 'tsx', 'src/main/codec-server.ts'], {
      env: { ...cleanEnv(), TEMPORAL_ADDRESS: 'temporal.internal:7233', PLUM_CODEC_KEYS: TEST_KEYS_ENV },
      encoding: 'utf8',
    });
    assert.equal(noToken.status, 2);
    assert.match(
      noToken.stderr,
      /PLUM_CODEC_SERVER_TOKEN: no authorisation is configured: set PLUM_CODEC_SERVER_TOKEN/,
    );
    assert.ok(!noToken.stderr.includes(TEST_KEYS_ENV.split(':')[1]!));
  });

  it('refuses the token ring: with it the UI could unseal tokens', () => {
    const withTokenRing = spawnSync(process.execPath, ['--import', 'tsx', 'src/main/codec-server.ts'], {
      env: { ...cleanEnv(), ...TEST_KEY_ENV_VARS, PLUM_CODEC_SERVER_AUTH: 'none' },
      encoding: 'utf8',
    });
    assert.equal(withTokenRing.status, 2);
    assert.match(withTokenRing.stderr, /PLUM_TOKEN_KEYS: the codec server must never hold the token ring/);
    assert.ok(!withTokenRing.stderr.includes(TEST_KEY_ENV_VARS.PLUM_TOKEN_KEYS.split(':')[1]!));
  });

  it('with the defaults beside npm start: reads the local key file and serves loopback without a token', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'plum-codec-'));
    const { keyRing } = loadOrCreateLocalKeyRing(dataDir);
    const out = await serveOnce({ PLUM_DATA_DIR: dataDir }, {});
    assert.match(
      out,
      new RegExp(`listening on 127\\.0\\.0\\.1; keys: ${keyRing.activeKeyId}, active .*; auth: NONE, loopback only;`),
    );
  });

  it('refuses no authorisation on an address other hosts reach, however it was asked for', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'plum-codec-'));
    loadOrCreateLocalKeyRing(dataDir);
    for (const env of [
      { PLUM_CODEC_SERVER_AUTH: 'none', PLUM_CODEC_SERVER_HOST: '0.0.0.0' },
      { PLUM_CODEC_SERVER_HOST: '0.0.0.0' },
    ]) {
      const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/main/codec-server.ts'], {
        env: { ...cleanEnv(), PLUM_DATA_DIR: dataDir, ...env },
        encoding: 'utf8',
      });
      assert.equal(run.status, 2, run.stdout + run.stderr);
      assert.match(
        run.stderr,
        /PLUM_CODEC_SERVER_(AUTH|TOKEN): .*PLUM_CODEC_SERVER_HOST is 0\.0\.0\.0, so every host that reaches it could read decrypted state/,
      );
      assert.doesNotMatch(run.stdout, /Codec server at/);
    }
  });

  it('serves the codec protocol with the configured token', async () => {
    const out = await serveOnce(
      { PLUM_CODEC_KEYS: TEST_KEYS_ENV, PLUM_CODEC_SERVER_TOKEN: 'tok' },
      { authorization: 'Bearer tok' },
    );
    assert.ok(!out.includes(TEST_KEYS_ENV.split(':')[1]!), 'key material printed');
    assert.match(out, /auth: bearer token;/);
  });
});
