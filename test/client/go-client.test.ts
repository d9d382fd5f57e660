// The Go client (clients/go) against a real keeper: this test starts the server, a worker and the sandbox, enrols a
// company, and runs the client's `go test` (the conformance vectors and the live tests) against them.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { clientTestEnv } from '../helpers/client-harness';
import type { KeeperEnv } from '../helpers/keeper-env';
import { startKeeperEnv, withWorker } from '../helpers/keeper-env';

const execFileAsync = promisify(execFile);

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
});
