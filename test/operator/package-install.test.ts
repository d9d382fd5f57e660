// The TypeScript client as its own package (issue 32): `npm pack` in packages/client makes the tarball a service
// installs; a scratch service installs it, type-checks the README's program with skipLibCheck off, runs it against a
// real keeper, and its node_modules is measured beside a service that installs @temporalio/client and zod alone.
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { TokenKeeperClient } from '../../src/client';
import { KEEPER_PROTOCOL } from '../../src/contract';
import { TEST_KEY_ENV_VARS } from '../helpers/codec';
import type { KeeperEnv } from '../helpers/keeper-env';
import { enrolSandboxCompany, startKeeperEnv, withWorker } from '../helpers/keeper-env';

const execFileAsync = promisify(execFile);
const PACKAGE = 'packages/client';
const EXAMPLE = join(PACKAGE, 'examples', 'read-token.ts');
/** The client package may weigh at most this much more than `@temporalio/client` and zod installed alone. */
const MAX_FOOTPRINT_RATIO = 1.25;

function bytesUnder(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += bytesUnder(path);
    else if (entry.isFile()) total += statSync(path).size;
  }
  return total;
}

function npmInstall(dir: string, specs: string[]): void {
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'scratch-service', private: true }));
  const install = spawnSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...specs], {
    cwd: dir,
    encoding: 'utf8',
  });
  assert.equal(install.status, 0, install.stderr);
}

describe('@plum-token-keeper/client installed from its npm pack tarball into a scratch service', () => {
  let env: KeeperEnv;
  let service: string;
  let packedFiles: string[];
  const manifest = JSON.parse(readFileSync(join(PACKAGE, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
    private?: boolean;
    dependencies: Record<string, string>;
  };
  before(async () => {
    env = await startKeeperEnv({ accessLifetimeMs: 600_000, refreshLifetimeMs: 1_200_000 });
    const packDir = mkdtempSync(join(tmpdir(), 'plum-pack-'));
    // Packed from a copy: prepack builds dist/ there, from the same sources, never under the feet of other tests.
    const copy = join(packDir, 'repo');
    for (const entry of ['tsconfig.json', 'src', PACKAGE]) cpSync(entry, join(copy, entry), { recursive: true });
    symlinkSync(resolve('node_modules'), join(copy, 'node_modules'));
    const packed = JSON.parse(
      execFileSync('npm', ['pack', '--json', '--pack-destination', packDir], {
        cwd: join(copy, PACKAGE),
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }),
    ) as { filename: string; files: { path: string }[] }[];
    packedFiles = packed[0]!.files.map((f) => f.path);
    service = mkdtempSync(join(tmpdir(), 'plum-service-'));
    npmInstall(service, [join(packDir, packed[0]!.filename)]);
  });
  after(() => env?.stop());

  it('is publishable, versioned by the keeper protocol it speaks, and ships types and no sources', () => {
    assert.notEqual(manifest.private, true);
    assert.equal(Number(manifest.version.split('.')[0]), KEEPER_PROTOCOL, 'major version = the keeper protocol');
    assert.ok(packedFiles.includes('dist/client/index.d.ts'), 'the types ship');
    assert.ok(!packedFiles.some((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')), 'no TypeScript sources');
    assert.ok(
      !packedFiles.some((f) => /^dist\/(worker|workflows|activities|cli|main|monitoring|sandbox)\//.test(f)),
      'nothing of the worker',
    );
    assert.deepEqual(
      Object.keys(manifest.dependencies).filter((d) => !d.startsWith('@temporalio/')),
      ['@types/ms', 'zod'],
      'the client needs @temporalio/client and little else',
    );
    assert.ok(!('@temporalio/worker' in manifest.dependencies));
  });

  it("type-checks the README's program with skipLibCheck off and reads the token the keeper serves", async () => {
    const program = readFileSync(EXAMPLE, 'utf8');
    assert.ok(readFileSync('README.md', 'utf8').includes(program.trim()), 'the README shows the program as it is');
    writeFileSync(join(service, 'read-token.ts'), program);
    writeFileSync(
      join(service, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'node16',
          moduleResolution: 'node16',
          target: 'es2022',
          skipLibCheck: false,
          types: ['node'],
          typeRoots: [resolve('node_modules/@types')],
          outDir: 'out',
        },
        files: ['read-token.ts'],
      }),
    );
    const check = spawnSync(process.execPath, [resolve('node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], {
      cwd: service,
      encoding: 'utf8',
    });
    assert.equal(check.status, 0, check.stdout + check.stderr);
    await withWorker(env, async (taskQueue) => {
      const { companyId } = await enrolSandboxCompany(env, taskQueue);
      const expected = await new TokenKeeperClient({ client: env.client, taskQueue }).getAccessToken(companyId);
      // Asynchronously: the worker answering the service's query runs in this process.
      const run = await execFileAsync(process.execPath, ['out/read-token.js'], {
        cwd: service,
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH,
          TEMPORAL_ADDRESS: env.server.address,
          PLUM_COMPANY: companyId,
          ...TEST_KEY_ENV_VARS,
        },
      });
      assert.equal(
        run.stdout.trim(),
        `${expected.status} token of ${expected.accessToken.length} characters, expires at ${expected.expiresAt}`,
      );
      assert.ok(!run.stdout.includes(expected.accessToken));
    });
  });

  it('weighs within 1.25× of @temporalio/client and zod installed alone (figures printed)', () => {
    const baseline = mkdtempSync(join(tmpdir(), 'plum-baseline-'));
    npmInstall(baseline, [
      `@temporalio/client@${manifest.dependencies['@temporalio/client']}`,
      `zod@${manifest.dependencies.zod}`,
    ]);
    const client = bytesUnder(join(service, 'node_modules'));
    const alone = bytesUnder(join(baseline, 'node_modules'));
    const ratio = client / alone;
    const mib = (n: number) => (n / 2 ** 20).toFixed(1);
    process.stdout.write(
      `# footprint: ${manifest.name} ${mib(client)} MiB, @temporalio/client + zod ${mib(alone)} MiB: ${ratio.toFixed(3)}×\n`,
    );
    assert.ok(ratio <= MAX_FOOTPRINT_RATIO, `${ratio.toFixed(3)}× is over ${MAX_FOOTPRINT_RATIO}×`);
  });

  it('exposes only its public entry points (the exports map)', () => {
    const deep = spawnSync(process.execPath, ['-e', `require('${manifest.name}/dist/codec/key-ring')`], {
      cwd: service,
      encoding: 'utf8',
    });
    assert.notEqual(deep.status, 0);
    assert.match(deep.stderr, /ERR_PACKAGE_PATH_NOT_EXPORTED/);
    const installed = JSON.parse(
      readFileSync(join(service, 'node_modules', manifest.name, 'package.json'), 'utf8'),
    ) as { exports: Record<string, unknown> };
    assert.deepEqual(Object.keys(installed.exports), ['.', './package.json']);
  });
});
