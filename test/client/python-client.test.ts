// The Python client (clients/python) against a real keeper: this test starts the server, a worker and the sandbox,
// enrols a company, and runs the client's pytest suite (the conformance vectors and the live tests) against them.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { VENV_PYTHON } from '../../scripts/install-client-deps';
import { clientTestEnv } from '../helpers/client-harness';
import type { KeeperEnv } from '../helpers/keeper-env';
import { startKeeperEnv, withWorker } from '../helpers/keeper-env';

const execFileAsync = promisify(execFile);

/** Runs the README's program (clients/python/examples/read_token.py) with `python` and checks the line it prints. */
async function readsTheToken(python: string, vars: Record<string, string>, token: string, cwd?: string) {
  const example = await execFileAsync(python, [resolve('clients/python/examples/read_token.py')], {
    encoding: 'utf8',
    ...(cwd && { cwd }),
    env: {
      PATH: process.env.PATH,
      ...vars,
      TEMPORAL_ADDRESS: vars.PLUM_TEST_TEMPORAL_ADDRESS!,
      PLUM_COMPANY: vars.PLUM_TEST_COMPANY!,
    },
  });
  assert.match(example.stdout, new RegExp(`^ACTIVE token of ${token.length} characters, expires at \\d+\n$`));
}

describe('the Python client (clients/python) on a real keeper', () => {
  let env: KeeperEnv;
  before(async () => {
    env = await startKeeperEnv({ accessLifetimeMs: 600_000, refreshLifetimeMs: 1_200_000 });
  });
  after(() => env?.stop());

  it('passes its pytest suite: the vectors, the cache and single flight, typed errors, user tokens, refreshNow, PlumApi', async () => {
    await withWorker(env, async (taskQueue) => {
      const { vars, token } = await clientTestEnv(env, taskQueue);
      const run = await execFileAsync(
        VENV_PYTHON,
        ['-m', 'pytest', 'clients/python/tests', '-q', '-p', 'no:cacheprovider', '-rs'],
        {
          encoding: 'utf8',
          env: { PATH: process.env.PATH, ...vars },
        },
      ).catch((error: { stdout?: string; stderr?: string }) =>
        assert.fail(`pytest failed:\n${error.stdout ?? ''}\n${error.stderr ?? ''}`),
      );
      assert.match(run.stdout, /\b25 passed\b/, run.stdout);
      assert.doesNotMatch(run.stdout, /skipped/);
      assert.ok(!run.stdout.includes(token), 'no token in the output');
      // The README's ten-line program, as it is.
      await readsTheToken(VENV_PYTHON, vars, token);
    });
  });

  it('builds a typed wheel that a fresh virtual environment installs, and reads a token with it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'python-wheel-'));
    const wheelhouse = join(dir, 'wheelhouse');
    await execFileAsync(VENV_PYTHON, ['-m', 'pip', 'wheel', '--no-deps', '-q', '-w', wheelhouse, './clients/python']);
    const [wheel] = readdirSync(wheelhouse).filter((f) => f.endsWith('.whl'));
    assert.match(
      wheel ?? '',
      /^plum_token_keeper-1\.\d+\.\d+-py3-none-any\.whl$/,
      'major version = the keeper protocol',
    );
    const listing = (
      await execFileAsync('python3', [
        '-c',
        'import sys, zipfile; print(*zipfile.ZipFile(sys.argv[1]).namelist())',
        join(wheelhouse, wheel!),
      ])
    ).stdout.split(/\s+/);
    assert.ok(listing.includes('plum_token_keeper/py.typed'), 'typed (PEP 561)');
    assert.ok(!listing.some((f) => f.startsWith('tests/') || f.includes('examples/')), 'no tests or examples');
    // A fresh environment, nothing from npm test's: the wheel and its dependencies only.
    const venv = join(dir, 'venv');
    await execFileAsync('python3', ['-m', 'venv', venv]);
    await execFileAsync(
      join(venv, 'bin', 'pip'),
      ['install', '-q', '--disable-pip-version-check', join(wheelhouse, wheel!)],
      {
        maxBuffer: 10 * 2 ** 20,
      },
    );
    await withWorker(env, async (taskQueue) => {
      const { vars, token } = await clientTestEnv(env, taskQueue);
      // Run from outside the repository, so that only the installed wheel can be imported.
      await readsTheToken(join(venv, 'bin', 'python'), vars, token, dir);
    });
  });
});
