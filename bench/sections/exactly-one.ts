import { fork } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { companyIds } from '../lib/enrol';
import type { Harness } from '../lib/harness';
import { LocalRedis, REDIS_INSTALL_HINT } from '../lib/redis';
import type { SectionResult } from '../lib/report';
import { row } from '../lib/report';
import { waitUntil } from '../lib/stats';
import type { BenchSizes } from './sizes';
import type { SeededCompany } from '../../src/sandbox/store';
import { PlumClient } from '../../src/plum/client';
import { PlumRejectedError } from '../../src/plum/errors';
import { accessTokenQuery, workflowIdFor } from '../../src/contract';

const TASK_QUEUE = 'bench-exactly-one';

/** Upstream refresh calls so far: all of them, and those Plum refused. */
function refreshCalls(harness: Harness): { all: number; rejected: number } {
  const all = harness.sandbox.callCount('refresh');
  return { all, rejected: all - harness.sandbox.callCount('refresh', 'ok') };
}

/** Waves of concurrent readers and forced rotations on the keeper: how many upstream calls each wave costs. */
async function keeperWaves(harness: Harness, sizes: BenchSizes) {
  const ids = companyIds('bench-once', sizes.waveCompanies);
  const { worker, keeper } = await harness.enrolledOn({ taskQueue: TASK_QUEUE }, ids);
  const perWave: number[] = [];
  let rejected = 0;
  let failedReads = 0;
  let failedRotations = 0;
  let distinctTokensPerWave = 0;
  for (let wave = 0; wave < sizes.waves; wave++) {
    // The services hold the current token, as they would when they find it wanting and ask for a rotation.
    await Promise.all(ids.map((id) => keeper.getAccessToken(id)));
    const before = refreshCalls(harness);
    const tokensSeen = await Promise.all(
      ids.map(async (id) => {
        const handle = harness.client.workflow.getHandle(workflowIdFor(id));
        const readers = Array.from({ length: sizes.readersPerCompany }, () =>
          handle.query(accessTokenQuery).catch(() => void failedReads++),
        );
        const rotations = Array.from({ length: sizes.rotationsPerCompany }, () =>
          keeper.refreshNow(id, 'bench wave').then(
            (token) => token.accessToken,
            () => void failedRotations++,
          ),
        );
        const [tokens] = await Promise.all([Promise.all(rotations), Promise.all(readers)]);
        return new Set(tokens.filter(Boolean)).size;
      }),
    );
    distinctTokensPerWave = Math.max(distinctTokensPerWave, ...tokensSeen);
    const after = refreshCalls(harness);
    perWave.push((after.all - before.all) / ids.length);
    rejected += after.rejected - before.rejected;
  }
  await worker.stop();
  const callsPerWave = perWave.reduce((a, b) => a + b, 0) / perWave.length;
  return { callsPerWave, perWave, rejected, failedReads, failedRotations, distinctTokensPerWave };
}

/** The same waves done the naive way: independent processes sharing the set in Redis, each refreshing on expiry. */
async function naiveWaves(harness: Harness, sizes: BenchSizes, redisServer: LocalRedis) {
  const ids = companyIds('bench-naive', sizes.waveCompanies);
  const seeded = await harness.seed(ids);
  const redis = redisServer.connect();
  const held = (id: string) => `plum:set:${id}`;
  for (const company of seeded.values()) {
    await redis.hset(held(company.companyId), {
      accessToken: company.tokens.access_token ?? '',
      refreshToken: company.tokens.refresh_token,
      expiresAt: Date.now() + 3600_000,
    });
  }
  const description = [...seeded.values()].map((c: SeededCompany) => ({
    companyId: c.companyId,
    clientId: c.clientId,
    clientSecret: c.clientSecret,
  }));
  const processes = await Promise.all(
    Array.from({ length: sizes.naiveProcesses }, async () => {
      const child = fork(join(__dirname, '..', 'naive-refresher.ts'), {
        env: {
          ...process.env,
          BENCH_NAIVE_COMPANIES: JSON.stringify(description),
          BENCH_REDIS_PORT: String(redisServer.port),
          PLUM_BASE_URL: harness.sandbox.url,
          BENCH_NAIVE_MAX_MS: String(120_000 + sizes.waves * 10_000),
        },
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      await once(child, 'message');
      return child;
    }),
  );
  const perWave: number[] = [];
  let rejected = 0;
  for (let wave = 0; wave < sizes.waves; wave++) {
    const before = refreshCalls(harness);
    const expired = Date.now();
    for (const id of ids) await redis.hset(held(id), 'expiresAt', 0);
    await waitUntil(async () => {
      const expiries = await Promise.all(ids.map((id) => redis.hget(held(id), 'expiresAt')));
      return expiries.every((value) => Number(value) > expired);
    }, 10_000);
    // Refreshers that read the expired set just before the winner wrote the new one are still at Plum.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const after = refreshCalls(harness);
    perWave.push((after.all - before.all) / ids.length);
    rejected += after.rejected - before.rejected;
  }
  const counts = await Promise.all(
    processes.map(async (child) => {
      const reply = once(child, 'message');
      child.send('stop');
      const [message] = await reply;
      return message as { calls: number; rotated: number; invalidGrant: number };
    }),
  );
  // Locked out: the refresh token the services hold is no longer one Plum accepts.
  const plum = new PlumClient({ baseUrl: harness.sandbox.url });
  let lockedOut = 0;
  for (const company of seeded.values()) {
    const refreshToken = await redis.hget(held(company.companyId), 'refreshToken');
    try {
      await plum.refresh(refreshToken ?? '', company);
    } catch (error) {
      if (error instanceof PlumRejectedError) lockedOut++;
      else throw error;
    }
  }
  redis.disconnect();
  const invalidGrant = counts.reduce((a, c) => a + c.invalidGrant, 0);
  const callsPerWave = perWave.reduce((a, b) => a + b, 0) / perWave.length;
  return { callsPerWave, perWave, rejected, invalidGrant, lockedOut };
}

/**
 * Per wave, on each company: readers and forced rotations at once on the keeper; expiry seen by every naive
 * process at once on the baseline. Upstream calls per company per wave, and what Plum refused.
 */
export async function exactlyOneRefresh(harness: Harness, sizes: BenchSizes): Promise<SectionResult> {
  const keeper = await keeperWaves(harness, sizes);
  const rows = [
    row('keeper: upstream refresh calls per company per wave', keeper.callsPerWave.toFixed(2), {
      text: 'exactly 1.00',
      met: keeper.perWave.every((calls) => calls === 1),
    }),
    row('keeper: rejected refresh calls', String(keeper.rejected), { text: '0', met: keeper.rejected === 0 }),
    row('keeper: failed reads / failed rotations', `${keeper.failedReads} / ${keeper.failedRotations}`),
    row('keeper: most distinct tokens handed out by one wave', String(keeper.distinctTokensPerWave)),
  ];
  const notes: string[] = [];
  let naive: Awaited<ReturnType<typeof naiveWaves>> | null = null;
  if (LocalRedis.available()) {
    const redis = await LocalRedis.start();
    try {
      naive = await naiveWaves(harness, sizes, redis);
    } finally {
      await redis.stop();
    }
    rows.push(
      row(
        `naive (${sizes.naiveProcesses} processes): upstream calls per company per wave`,
        naive.callsPerWave.toFixed(2),
      ),
      row('naive: invalid_grant rejections', String(naive.invalidGrant)),
      row('naive: companies locked out', `${naive.lockedOut} of ${sizes.waveCompanies}`),
      row('naive vs keeper: upstream calls', `${(naive.callsPerWave / keeper.callsPerWave).toFixed(1)}×`),
    );
  } else {
    notes.push(`redis-server is not installed, so the naive baseline did not run: ${REDIS_INSTALL_HINT}`);
  }
  return {
    id: 'exactlyOne',
    title:
      `3. Exactly one refresh (${sizes.waveCompanies} companies × ${sizes.waves} waves; per company per wave: ` +
      `${sizes.readersPerCompany} readers + ${sizes.rotationsPerCompany} forced rotations), strict rotation`,
    rows,
    figures: { keeper, naive },
    notes,
  };
}
