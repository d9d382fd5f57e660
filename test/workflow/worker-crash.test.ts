import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { forceRefreshSignal, statusQuery } from '../../src/contract';
import type { KeeperEnv } from '../helpers/keeper-env';
import { enrol, startKeeperEnv } from '../helpers/keeper-env';
import { uniqueCompanyId } from '../helpers/sandbox';
import { waitFor } from '../helpers/wait';
import { recordHistory } from '../helpers/histories';
import { credentialsFileFor, startWorkerChild } from '../helpers/worker-child';
import { servedToken } from '../helpers/queries';

describe('a worker killed between Plum’s reply and the activity’s completion', () => {
  let env: KeeperEnv;
  const children: ChildProcess[] = [];
  before(async () => {
    env = await startKeeperEnv({ accessLifetimeMs: 600_000, refreshLifetimeMs: 1_200_000 });
  });
  after(async () => {
    for (const child of children) child.kill('SIGKILL');
    await env.stop();
  });

  it('a new worker finishes the refresh from the heartbeated token set: one rotation upstream', async () => {
    const companyId = uniqueCompanyId('crash');
    const seeded = await env.sandbox.seedCompany({ companyId });
    const credentialsFile = credentialsFileFor(seeded);
    const taskQueue = `crash-${process.pid}`;

    const doomed = startWorkerChild(env, { taskQueue, credentialsFile, extraEnv: { HANG_AFTER_REFRESH: '1' } });
    children.push(doomed.child);
    await waitFor('the first worker', () => doomed.said('ready'), 60_000);
    const { handle } = await enrol(env.client, taskQueue, { companyId, tokens: seeded.tokens });
    await handle.signal(forceRefreshSignal, { reason: 'crash test' });

    await waitFor('the rotation reply', () => env.sandbox.rotationCount(companyId) === 1);
    await waitFor('the heartbeated token set', async () => {
      const pending = (await handle.describe()).raw.pendingActivities ?? [];
      return pending.some((a) => (a.heartbeatDetails?.payloads?.length ?? 0) > 0);
    });
    assert.ok(doomed.said('refresh-returned'));
    assert.equal((await handle.query(statusQuery)).generation, 0, 'the workflow has not seen the new set yet');
    doomed.child.kill('SIGKILL');

    const rescuer = startWorkerChild(env, { taskQueue, credentialsFile });
    children.push(rescuer.child);
    const status = await waitFor(
      'the refresh to finish on the new worker',
      async () => {
        const s = await handle.query(statusQuery);
        return s.generation === 1 ? s : undefined;
      },
      60_000,
    );
    assert.equal(status.status, 'ACTIVE');
    assert.equal(env.sandbox.rotationCount(companyId), 1, 'exactly one rotation upstream');
    assert.equal(env.sandbox.callCount('refresh', 'rejected'), 0);
    const served = await servedToken(handle);
    assert.equal(served.accessToken, env.sandbox.store.requireCompany(companyId).pairs.at(-1)?.accessToken);
    await recordHistory(handle, 'worker-crash-recovered');
  });
});
