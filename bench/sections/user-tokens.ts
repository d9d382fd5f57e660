import { randomUUID } from 'node:crypto';
import type { Harness } from '../lib/harness';
import type { SectionResult } from '../lib/report';
import { row } from '../lib/report';
import { describePercentiles, timeEach } from '../lib/stats';
import type { BenchSizes } from './sizes';
import { cachedUserTokenQuery, userTokenUpdate, workflowIdFor } from '../../src/contract';

const TASK_QUEUE = 'bench-user-tokens';

/** A user token three ways: an exchange (miss), the workflow's cache (query), the client's own cache. */
export async function userTokens(harness: Harness, sizes: BenchSizes): Promise<SectionResult> {
  const companyId = 'bench-users';
  const { worker, keeper } = await harness.enrolledOn({ taskQueue: TASK_QUEUE }, [companyId]);
  const handle = harness.client.workflow.getHandle(workflowIdFor(companyId));
  const email = (i: number) => `user-${i}@bench.test`;

  const miss = await timeEach(sizes.userTokenCalls, (i) =>
    handle.executeUpdate(userTokenUpdate, { args: [{ email: email(i) }], updateId: randomUUID() }),
  );
  const queryHit = await timeEach(sizes.userTokenCalls, (i) => handle.query(cachedUserTokenQuery, { email: email(i) }));
  for (let i = 0; i < sizes.userTokenCalls; i++) await keeper.getUserToken(companyId, email(i));
  const clientHit = await timeEach(sizes.reads, (i) => keeper.getUserToken(companyId, email(i % sizes.userTokenCalls)));
  const exchanges = harness.sandbox.callCount('createUserToken');
  await worker.stop();
  return {
    id: 'userTokens',
    title: '5. User tokens (one company, distinct users)',
    rows: [
      row('hit via TokenKeeperClient (in-process cache)', describePercentiles(clientHit), {
        text: 'in-process (p50 < 0.1 ms)',
        met: clientHit.p50 < 0.1,
      }),
      row('hit via cachedUserToken query', describePercentiles(queryHit)),
      row('miss via userToken update (exchange at Plum)', describePercentiles(miss), {
        text: 'p50 ≤ 50 ms',
        met: miss.p50 <= 50,
      }),
      row('upstream exchanges for all of the above', `${exchanges} for ${sizes.userTokenCalls} users`),
    ],
    figures: { clientHitMs: clientHit, queryHitMs: queryHit, missMs: miss, exchanges },
  };
}
