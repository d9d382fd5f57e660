import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { TASK_QUEUE, forceRefreshSignal, statusQuery } from '../../src/contract';
import { TEST_KEY_ENV_VARS } from '../helpers/codec';
import { enrol, keeperEnvForSuite, withWorker } from '../helpers/keeper-env';
import { uniqueCompanyId } from '../helpers/sandbox';
import { waitFor } from '../helpers/wait';
import { credentialsFileFor } from '../helpers/worker-child';
import { assertAnswers } from '../helpers/wedge';

describe('a deploy (SIGTERM to the main job) while a refresh is at Plum', () => {
  const env = keeperEnvForSuite({ accessLifetimeMs: 600_000, refreshLifetimeMs: 1_200_000 });

  it('lets the refresh finish: the company stays ACTIVE with one rotation and no extra upstream call', async () => {
    const companyId = uniqueCompanyId('deploy');
    const seeded = await env.sandbox.seedCompany({ companyId });
    const clean = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith('PLUM_') && !k.startsWith('TEMPORAL_')),
    );
    const main = spawn(process.execPath, ['--import', 'tsx', 'src/worker.ts'], {
      env: {
        ...clean,
        TEMPORAL_ADDRESS: env.server.address,
        PLUM_BASE_URL: env.sandbox.url,
        PLUM_CREDENTIALS_FILE: credentialsFileFor(seeded),
        ...TEST_KEY_ENV_VARS,
        PLUM_HTTP_TIMEOUT_MS: '10000',
        // The successor below is an unversioned test worker; a versioned main job would keep the run pinned to its
        // own build (test/workflow/versioning.test.ts covers that).
        PLUM_WORKER_VERSIONING: 'off',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    main.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    main.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = once(main, 'exit');
    try {
      await waitFor('the main job to poll', () => output.includes('worker polling'), 60_000);
      const { handle } = await enrol(env.client, TASK_QUEUE, { companyId, tokens: seeded.tokens });
      const callsBefore = env.sandbox.callCount('refresh');

      await env.sandbox.injectFault('refresh', { kind: 'hold' });
      await handle.signal(forceRefreshSignal, { reason: 'deploy test' });
      await waitFor('the refresh to reach Plum', () => env.sandbox.heldCount === 1);
      main.kill('SIGTERM');
      await waitFor('the worker to start draining', () => /"state":"DRAINING"/.test(output), 10_000);
      env.sandbox.releaseHeld();

      const [code] = (await exited) as [number | null];
      assert.equal(code, 0, output);
      assert.equal(env.sandbox.rotationCount(companyId), 1, 'Plum rotated the set once');

      await withWorker(
        env,
        async () => {
          const status = await waitFor('the workflow to take the new set', async () => {
            const s = await handle.query(statusQuery);
            return s.generation === 1 ? s : undefined;
          });
          assert.equal(status.status, 'ACTIVE');
          assert.equal(status.reason, undefined);
          await assertAnswers(handle);
        },
        { taskQueue: TASK_QUEUE },
      );
      assert.equal(env.sandbox.callCount('refresh') - callsBefore, 1, 'no extra upstream call');
      assert.equal(env.sandbox.callCount('refresh', 'rejected'), 0);
    } finally {
      if (main.exitCode === null) main.kill('SIGKILL');
    }
  });
});
