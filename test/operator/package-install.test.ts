// Issue 25, part 6: the TypeScript client as a dependency. `npm pack` makes the tarball a service installs; a scratch
// service requires the package by name and reads a token from a real keeper; the exports map keeps internals private.
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { TokenKeeperClient } from '../../src/client';
import { TEST_KEY_ENV_VARS } from '../helpers/codec';
import type { KeeperEnv } from '../helpers/keeper-env';
import { enrolSandboxCompany, startKeeperEnv, withWorker } from '../helpers/keeper-env';

const execFileAsync = promisify(execFile);

const SERVICE = `
const { createHash } = require('node:crypto');
const { TokenKeeperClient, parseKeyRing, NeedsReauthError } = require('plum-token-keeper');
(async () => {
  const keeper = await TokenKeeperClient.connect({
    address: process.env.TEMPORAL_ADDRESS,
    namespace: process.env.TEMPORAL_NAMESPACE,
    keyRing: parseKeyRing(process.env.PLUM_CODEC_KEYS),
    tokenKeyRing: parseKeyRing(process.env.PLUM_TOKEN_KEYS, undefined, 'PLUM_TOKEN_KEYS'),
  });
  const token = await keeper.getAccessToken(process.env.COMPANY_ID);
  // Never print a token: its digest is enough to compare.
  console.log(JSON.stringify({ digest: createHash('sha256').update(token.accessToken).digest('hex'), expiresAt: token.expiresAt, typed: typeof NeedsReauthError }));
  await keeper.close();
})().catch((error) => { console.error(error.name + ': ' + error.message); process.exit(1); });
`;

describe('the package installed from its npm pack tarball into a scratch service', () => {
  let env: KeeperEnv;
  let service: string;
  before(async () => {
    env = await startKeeperEnv({ accessLifetimeMs: 600_000, refreshLifetimeMs: 1_200_000 });
    const packDir = mkdtempSync(join(tmpdir(), 'plum-pack-'));
    // Packed from a copy of the sources: prepack builds dist/ there, never under the feet of tests reading ./dist.
    const copy = join(packDir, 'package');
    for (const entry of ['package.json', 'README.md', 'tsconfig.json', 'tsconfig.build.json', 'src', 'bin']) {
      cpSync(entry, join(copy, entry), { recursive: true });
    }
    symlinkSync(resolve('node_modules'), join(copy, 'node_modules'));
    const packed = JSON.parse(
      execFileSync('npm', ['pack', '--json', '--pack-destination', packDir], {
        cwd: copy,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }),
    ) as { filename: string; files: { path: string }[] }[];
    const tarball = join(packDir, packed[0]!.filename);
    assert.ok(
      packed[0]!.files.some((f) => f.path === 'dist/client/index.d.ts'),
      'the types ship',
    );
    assert.ok(
      !packed[0]!.files.some((f) => f.path.startsWith('test/') || f.path.startsWith('src/')),
      'no sources or tests',
    );
    service = mkdtempSync(join(tmpdir(), 'plum-service-'));
    writeFileSync(join(service, 'package.json'), JSON.stringify({ name: 'scratch-service', private: true }));
    writeFileSync(join(service, 'service.js'), SERVICE);
    const install = spawnSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', resolve(tarball)], {
      cwd: service,
      encoding: 'utf8',
    });
    assert.equal(install.status, 0, install.stderr);
  });
  after(() => env?.stop());

  it('requires plum-token-keeper by name and reads the same token the keeper serves', async () => {
    await withWorker(env, async (taskQueue) => {
      const { companyId } = await enrolSandboxCompany(env, taskQueue);
      const expected = await new TokenKeeperClient({ client: env.client, taskQueue }).getAccessToken(companyId);
      // Asynchronously: the worker answering the service's query runs in this process.
      const run = await execFileAsync(process.execPath, ['service.js'], {
        cwd: service,
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH,
          TEMPORAL_ADDRESS: env.server.address,
          TEMPORAL_NAMESPACE: env.server.namespace,
          COMPANY_ID: companyId,
          ...TEST_KEY_ENV_VARS,
        },
      });
      const read = JSON.parse(run.stdout) as { digest: string; expiresAt: number; typed: string };
      assert.equal(read.digest, createHash('sha256').update(expected.accessToken).digest('hex'));
      assert.equal(read.expiresAt, expected.expiresAt);
      assert.equal(read.typed, 'function', 'the typed errors are exported');
      assert.ok(!run.stdout.includes(expected.accessToken));
    });
  });

  it('exposes only its public entry points (the exports map)', () => {
    const deep = spawnSync(process.execPath, ['-e', "require('plum-token-keeper/dist/codec/key-ring')"], {
      cwd: service,
      encoding: 'utf8',
    });
    assert.notEqual(deep.status, 0);
    assert.match(deep.stderr, /ERR_PACKAGE_PATH_NOT_EXPORTED/);
    const installed = JSON.parse(
      readFileSync(join(service, 'node_modules/plum-token-keeper/package.json'), 'utf8'),
    ) as { exports: Record<string, unknown> };
    assert.deepEqual(Object.keys(installed.exports), ['.', './package.json']);
  });
});
