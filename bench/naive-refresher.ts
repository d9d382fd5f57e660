// The way the keeper replaces: one of several independent services sharing a token set in Redis, each refreshing
// it when it sees it expired. Bounded: it stops on 'stop' over IPC or after BENCH_NAIVE_MAX_MS by itself.
import { Redis } from 'ioredis';
import { PlumRejectedError } from '../src/plum/errors';
import { PlumClient } from '../src/plum/client';

interface Company {
  companyId: string;
  clientId: string;
  clientSecret: string;
}

const companies = JSON.parse(process.env.BENCH_NAIVE_COMPANIES!) as Company[];
const redis = new Redis({ host: '127.0.0.1', port: Number(process.env.BENCH_REDIS_PORT) });
const plum = new PlumClient({ baseUrl: process.env.PLUM_BASE_URL! });
const counts = { calls: 0, rotated: 0, invalidGrant: 0, otherErrors: 0 };
let running = true;

async function refreshIfExpired(company: Company): Promise<void> {
  const key = `plum:set:${company.companyId}`;
  const held = await redis.hgetall(key);
  if (!held.refreshToken || Number(held.expiresAt) > Date.now()) return;
  counts.calls++;
  try {
    const fresh = await plum.refresh(held.refreshToken, {
      clientId: company.clientId,
      clientSecret: company.clientSecret,
    });
    await redis.hset(key, {
      accessToken: fresh.accessToken,
      refreshToken: fresh.refreshToken,
      expiresAt: fresh.accessTokenExpiresAt,
    });
    counts.rotated++;
  } catch (error) {
    if (error instanceof PlumRejectedError && error.reason === 'INVALID_GRANT') counts.invalidGrant++;
    else counts.otherErrors++;
  }
}

async function loop(): Promise<void> {
  const deadline = Date.now() + Number(process.env.BENCH_NAIVE_MAX_MS ?? 300_000);
  while (running && Date.now() < deadline) {
    await Promise.all(companies.map(refreshIfExpired));
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

process.on('disconnect', () => process.exit(1));
process.on('message', (message) => {
  if (message === 'stop') running = false;
});
process.send?.('ready');
loop().then(
  () => {
    process.send?.(counts, () => {
      redis.disconnect();
      process.exit(0);
    });
  },
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
