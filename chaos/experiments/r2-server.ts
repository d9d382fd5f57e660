// R2: the Temporal server stopped and restarted mid-cycle (the dev server on its SQLite file), and an operator's
// Reset of running keepers (`temporal workflow reset`, what the UI's Reset button does). On the cluster, the history
// service and PostgreSQL faults are `npm run test:cluster`'s.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { SectionResult } from '../../bench/lib/report';
import { row } from '../../bench/lib/report';
import { refreshNowUpdate, workflowIdFor } from '../../src/contract';
import { companyIds, eventually, sleep, statusOf } from '../lib/fleet';
import type { ChaosLab } from '../lib/lab';
import type { SeededRandom } from '../lib/random';
import type { ChaosSizes } from '../lib/sizes';

const LIFETIME_MS = 40_000;

/** Watches the upstream's own record: a company whose newest token expired missed its refresh. */
function watchMisses(lab: ChaosLab, ids: readonly string[]) {
  const missed = new Set<string>();
  const timer = setInterval(() => {
    const now = Date.now();
    for (const id of ids) {
      const newest = lab.sandbox.store.requireCompany(id).pairs.at(-1)!;
      if (newest.accessExpiresAt < now) missed.add(newest.accessToken);
    }
  }, 250);
  return { missed, stop: () => clearInterval(timer) };
}

export async function restartServer(lab: ChaosLab, sizes: ChaosSizes, random: SeededRandom): Promise<SectionResult> {
  await lab.sandbox.setOptions({ rotation: 'strict', accessLifetimeMs: LIFETIME_MS });
  const worker = await lab.startWorker();
  const ids = companyIds('r2', sizes.companies);
  await lab.enrol(ids);
  const watch = watchMisses(lab, ids);
  await sleep(random.between(LIFETIME_MS / 4, (LIFETIME_MS * 3) / 4));

  const generations = new Map(
    await Promise.all(ids.map(async (id) => [id, (await statusOf(lab, id)).generation] as const)),
  );
  const downAt = Date.now();
  let clientCall: Promise<string> | undefined;
  await lab.restartServer(sizes.serverDownMs, async () => {
    // A service asking while the server is away: the SDK retries; the call answers once the server is back.
    const asked = Date.now();
    clientCall = lab.keeper.status(ids[0]!).then(
      () => `answered after ${((Date.now() - asked) / 1000).toFixed(1)} s (the SDK retried until the server was back)`,
      (e: unknown) => `${e instanceof Error ? e.name : String(e)} after ${((Date.now() - asked) / 1000).toFixed(1)} s`,
    );
  });
  const outageMs = Date.now() - downAt;
  const clientWhileDown = (await clientCall) ?? 'not tried';
  const resumed = await Promise.all(
    ids.map((id) =>
      eventually(async () => (await statusOf(lab, id)).generation > generations.get(id)!, LIFETIME_MS * 1.5),
    ),
  );
  watch.stop();
  const workerSurvived = worker.alive();

  // An operator presses Reset on every keeper after two more rotations each.
  const rejectedBefore = lab.sandbox.callCount('refresh', 'rejected');
  for (const id of ids) {
    const handle = lab.client.workflow.getHandle(workflowIdFor(id));
    for (let i = 0; i < 2; i++)
      await handle.executeUpdate(refreshNowUpdate, { args: [{ reason: 'chaos R2 before reset' }] });
  }
  const cli = lab.cliPath;
  const resetOk = await Promise.all(
    ids.map(async (id) => {
      const before = await statusOf(lab, id);
      const { runId } = await lab.client.workflow.getHandle(workflowIdFor(id)).describe();
      await promisify(execFile)(cli, [
        'workflow',
        'reset',
        '--address',
        lab.server.address,
        '--workflow-id',
        workflowIdFor(id),
        '--type',
        'FirstWorkflowTask',
        '--reason',
        'chaos R2: an operator pressed Reset',
      ]);
      const handle = lab.client.workflow.getHandle(workflowIdFor(id));
      const recovered = await eventually(async () => {
        if ((await handle.describe()).runId === runId) return false;
        const status = await statusOf(lab, id);
        return status.status === 'ACTIVE' && status.generation >= before.generation;
      }, 60_000);
      if (!recovered) return false;
      await handle.executeUpdate(refreshNowUpdate, { args: [{ reason: 'chaos R2 after reset' }] });
      return (await statusOf(lab, id)).status === 'ACTIVE';
    }),
  );
  const rejectedAfterReset = lab.sandbox.callCount('refresh', 'rejected') - rejectedBefore;
  await lab.retire(ids);
  await worker.stop();

  const resumedCount = resumed.filter(Boolean).length;
  const resetCount = resetOk.filter(Boolean).length;
  return {
    id: 'R2',
    title: 'R2 Temporal server stopped and restarted mid-cycle; an operator’s Reset',
    rows: [
      row(
        'workflows resumed after the restart',
        `${resumedCount} of ${ids.length} (server away ${(outageMs / 1000).toFixed(1)} s)`,
        {
          text: 'all',
          met: resumedCount === ids.length,
        },
      ),
      row('refreshes missed (a newest token expired)', String(watch.missed.size), {
        text: '0',
        met: watch.missed.size === 0,
      }),
      row('worker survived the restart', workerSurvived ? 'yes (same process)' : 'no', {
        text: 'yes',
        met: workerSurvived,
      }),
      row('a client call made while the server was down', clientWhileDown),
      row('keepers ACTIVE after Reset, then rotating', `${resetCount} of ${ids.length}`, {
        text: 'all',
        met: resetCount === ids.length,
      }),
      row('spent tokens sent after Reset (rejections)', String(rejectedAfterReset), {
        text: '0',
        met: rejectedAfterReset === 0,
      }),
    ],
    figures: {
      companies: ids.length,
      outageMs,
      resumed: resumedCount,
      missed: watch.missed.size,
      workerSurvived,
      clientWhileDown,
      resetRecovered: resetCount,
      rejectedAfterReset,
    },
  };
}
