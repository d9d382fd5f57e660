// The Go client (clients/go) against a real keeper: this test starts the server, a worker and the sandbox, enrols a
// company, and runs the client's `go test` (the conformance vectors and the live tests) against them.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { clientTestEnv } from '../helpers/client-harness';
import type { KeeperEnv } from '../helpers/keeper-env';
import { startKeeperEnv, withWorker } from '../helpers/keeper-env';

const execFileAsync = promisify(execFile);

/** The release the test serves: tags are `clients/go/v<major>.<minor>.<patch>`, the major the keeper protocol (README). */
const GO_CLIENT_VERSION = 'v1.0.0';

/** Writes a Go module zip (argv: module folder, path prefix, zip file). */
const ZIP_MODULE = `
import os, sys, zipfile
root, prefix, out = sys.argv[1:]
with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as z:
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith('.')]
        for name in files:
            if not name.startswith('.'):
                path = os.path.join(folder, name)
                z.write(path, prefix + os.path.relpath(path, root))
`;

describe('the Go client (clients/go) on a real keeper', () => {
  let env: KeeperEnv;
  before(async () => {
    env = await startKeeperEnv({ accessLifetimeMs: 600_000, refreshLifetimeMs: 1_200_000 });
  });
  after(() => env?.stop());

  it('is gofmt-formatted and passes go vet', async () => {
    const unformatted = await execFileAsync('gofmt', ['-l', '.'], { cwd: 'clients/go', encoding: 'utf8' });
    assert.equal(unformatted.stdout, '', 'gofmt -l lists no file');
    await execFileAsync('go', ['vet', './...'], { cwd: 'clients/go', encoding: 'utf8' });
  });

  it('passes its go test: the vectors, the cache and single flight, errors.As, user tokens, RefreshNow, PlumAPI', async () => {
    await withWorker(env, async (taskQueue) => {
      const { vars, token } = await clientTestEnv(env, taskQueue);
      const run = await execFileAsync('go', ['test', '-count=1', '-v', './...'], {
        cwd: 'clients/go',
        encoding: 'utf8',
        env: { ...process.env, ...vars },
        maxBuffer: 10 * 2 ** 20,
      }).catch((error: { stdout?: string; stderr?: string }) =>
        assert.fail(`go test failed:\n${error.stdout ?? ''}\n${error.stderr ?? ''}`),
      );
      for (const name of [
        'TestPayloadVectors',
        'TestTokenSealVectors',
        'TestAccessTokenAnswerVectors',
        'TestFailureVectors',
        'TestRetryVectors',
        'TestLiveReadsTheTokenOnceForFiftyCallers',
        'TestLiveTypedErrors',
        'TestLiveCompanyStateErrorsAndUnknownKey',
        'TestLiveUserTokenMissThenHit',
        'TestLiveRefreshNowByTwoCallersAtOnceMakesOneRotation',
        'TestLivePlumAPI',
        'TestLivePlumAPINeverRotatesForA401AboutSomethingElse',
        'TestLiveNoWorkerIsNamed',
        'TestEmailIsCheckedAsTheKeeperChecksIt',
        'TestCachesAreBounded',
        'TestClientRuleVectors',
      ]) {
        assert.match(run.stdout, new RegExp(`--- PASS: ${name} `), `${name} passed`);
      }
      assert.doesNotMatch(run.stdout, /--- SKIP/);
      assert.ok(!run.stdout.includes(token), 'no token in the output');
      // The README's program, as it is.
      const example = await execFileAsync('go', ['run', './examples/readtoken'], {
        cwd: 'clients/go',
        encoding: 'utf8',
        env: {
          ...process.env,
          ...vars,
          TEMPORAL_ADDRESS: vars.PLUM_TEST_TEMPORAL_ADDRESS!,
          PLUM_COMPANY: vars.PLUM_TEST_COMPANY!,
        },
      });
      assert.match(example.stdout, new RegExp(`^ACTIVE token of ${token.length} characters, expires at \\d+\n$`));
    });
  });

  it('is fetched by `go get` from a file-based module proxy into a module with no replace, and reads a token', async () => {
    const modulePath = (
      await execFileAsync('go', ['list', '-m'], { cwd: 'clients/go', encoding: 'utf8' })
    ).stdout.trim();
    assert.match(modulePath, /^github\.com\/[^/]+\/[^/]+\/clients\/go$/, 'a repository host path, clients/go below it');
    // The client's own dependencies come from the module cache (filled here from the usual proxy); the client itself
    // only from the file proxy: GOPROXY names nothing else.
    await execFileAsync('go', ['mod', 'download'], { cwd: 'clients/go', encoding: 'utf8' });
    const proxy = mkdtempSync(join(tmpdir(), 'goproxy-'));
    const version = GO_CLIENT_VERSION;
    const versions = join(proxy, modulePath, '@v');
    mkdirSync(versions, { recursive: true });
    writeFileSync(join(versions, 'list'), `${version}\n`);
    writeFileSync(
      join(versions, `${version}.info`),
      JSON.stringify({ Version: version, Time: '2026-12-06T00:00:00Z' }),
    );
    cpSync('clients/go/go.mod', join(versions, `${version}.mod`));
    // A module zip: every file of the module under "<path>@<version>/" (dot files, such as a built bench, left out).
    execFileSync('python3', [
      '-c',
      ZIP_MODULE,
      resolve('clients/go'),
      `${modulePath}@${version}/`,
      join(versions, `${version}.zip`),
    ]);
    const service = mkdtempSync(join(tmpdir(), 'go-service-'));
    cpSync('clients/go/examples/readtoken/main.go', join(service, 'main.go'));
    const goEnv = { ...process.env, GOPROXY: `file://${proxy}`, GOSUMDB: 'off', GOFLAGS: '-mod=mod' };
    await execFileAsync('go', ['mod', 'init', 'example.com/service'], { cwd: service, env: goEnv });
    await execFileAsync('go', ['get', `${modulePath}@${version}`], { cwd: service, env: goEnv });
    const goMod = readFileSync(join(service, 'go.mod'), 'utf8');
    assert.ok(goMod.includes(`${modulePath} ${version}`), goMod);
    assert.ok(!goMod.includes('replace'), 'no replace');
    await withWorker(env, async (taskQueue) => {
      const { vars, token } = await clientTestEnv(env, taskQueue);
      const run = await execFileAsync('go', ['run', '.'], {
        cwd: service,
        encoding: 'utf8',
        env: {
          ...goEnv,
          ...vars,
          GOPROXY: 'off',
          TEMPORAL_ADDRESS: vars.PLUM_TEST_TEMPORAL_ADDRESS!,
          PLUM_COMPANY: vars.PLUM_TEST_COMPANY!,
        },
      });
      assert.match(run.stdout, new RegExp(`^ACTIVE token of ${token.length} characters, expires at \\d+\n$`));
    });
  });
});
