import type { Harness } from '../lib/harness';
import { LocalRedis, REDIS_INSTALL_HINT } from '../lib/redis';
import type { SectionResult } from '../lib/report';
import { row } from '../lib/report';
import { describePercentiles, timeEach } from '../lib/stats';
import type { BenchSizes } from './sizes';
import type { OtherClientReads } from '../lib/other-clients';
import { otherClientReads } from '../lib/other-clients';
import { queryFloor } from '../lib/query-floor';
import { accessTokenQuery, workflowIdFor } from '../../src/contract';

const TASK_QUEUE = 'bench-read-path';

/** A language's cached and cold reads (invalidate, then one query through that client). */
function languageRows(labels: [string, string], language: string, reads: OtherClientReads | undefined) {
  if (!reads) return [];
  return [
    row(`(${labels[0]}) ${language} client, warm cache`, describePercentiles(reads.cached)),
    row(`(${labels[1]}) ${language} client, cold read (invalidate, query)`, describePercentiles(reads.cold)),
  ];
}

/** The same token read through the client's warm cache, a Redis GET, and a raw `accessToken` query. */
export async function readPath(harness: Harness, sizes: BenchSizes): Promise<SectionResult> {
  const companyId = 'bench-read';
  const { worker, keeper } = await harness.enrolledOn({ taskQueue: TASK_QUEUE }, [companyId]);
  const { accessToken } = await keeper.getAccessToken(companyId);

  // Warm the JIT first: the figure is the steady state a long-running service sees.
  await timeEach(Math.min(sizes.reads, 10_000), () => keeper.getAccessToken(companyId));
  const client = await timeEach(sizes.reads, () => keeper.getAccessToken(companyId));
  const handle = harness.client.workflow.getHandle(workflowIdFor(companyId));
  const query = await timeEach(sizes.queryReads, () => handle.query(accessTokenQuery));

  const notes: string[] = [];
  let redis: Awaited<ReturnType<typeof timeEach>> | undefined;
  if (LocalRedis.available()) {
    const server = await LocalRedis.start();
    const connection = server.connect();
    try {
      await connection.set(`plum:token:${companyId}`, accessToken);
      redis = await timeEach(sizes.reads, () => connection.get(`plum:token:${companyId}`));
    } finally {
      connection.disconnect();
      await server.stop();
    }
  } else {
    notes.push(`redis-server is not installed, so the Redis row is missing: ${REDIS_INSTALL_HINT}`);
  }
  const others = await otherClientReads(harness.clientEnv(), companyId, {
    reads: sizes.reads,
    coldReads: sizes.queryReads,
  });
  notes.push(...others.notes);
  await worker.stop();
  const floor = await queryFloor(harness, sizes.queryReads);

  const ratio = (other: number) => other / client.p50;
  const rows = [
    row('(a) TokenKeeperClient, warm cache', describePercentiles(client), {
      text: 'p50 ≤ 1 µs',
      met: client.p50 <= 0.001,
    }),
    ...(redis ? [row('(b) Redis GET over loopback', describePercentiles(redis))] : []),
    row('(c) raw accessToken query', describePercentiles(query)),
    ...(redis
      ? [
          row('a vs b (p50 ratio)', `${ratio(redis.p50).toFixed(0)}× faster`, {
            text: '≥ 100×',
            met: ratio(redis.p50) >= 100,
          }),
        ]
      : []),
    row('a vs c (p50 ratio)', `${ratio(query.p50).toFixed(0)}× faster`),
    ...languageRows(['d', 'e'], 'Python', others.python),
    ...languageRows(['f', 'g'], 'Go', others.go),
    row('(h) floor: constant query of a trivial workflow', describePercentiles(floor)),
    row(
      'c over the floor (p50)',
      `${query.p50 >= floor.p50 ? '+' : '−'}${Math.abs(query.p50 - floor.p50).toFixed(2)} ms`,
    ),
  ];
  return {
    id: 'readPath',
    title: '1. Read path, side by side (one company, sequential reads)',
    rows,
    figures: {
      clientCacheMs: client,
      redisGetMs: redis ?? null,
      rawQueryMs: query,
      pythonClientMs: others.python ?? null,
      goClientMs: others.go ?? null,
      queryFloorMs: floor,
    },
    notes,
  };
}
