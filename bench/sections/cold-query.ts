import { companyIds } from '../lib/enrol';
import type { Harness } from '../lib/harness';
import type { SectionResult } from '../lib/report';
import { row } from '../lib/report';
import { describePercentiles, timeEach } from '../lib/stats';
import type { BenchSizes } from './sizes';
import { accessTokenQuery, workflowIdFor } from '../../src/contract';

const goal = (p: { p50: number; p99: number }) => ({ text: 'p50 ≤ 3 ms, p99 ≤ 15 ms', met: p.p50 <= 3 && p.p99 <= 15 });

/**
 * `accessToken` queries round-robin over many companies: on a worker whose cache holds them all, and on one whose
 * cache holds a tenth of them, so every query there replays the workflow from its history first.
 */
export async function coldQueries(harness: Harness, sizes: BenchSizes): Promise<SectionResult> {
  const measure = async (taskQueue: string, maxCachedWorkflows?: number) => {
    const ids = companyIds(taskQueue, sizes.coldCompanies);
    const { worker } = await harness.enrolledOn({ taskQueue, ...(maxCachedWorkflows && { maxCachedWorkflows }) }, ids);
    const handles = ids.map((id) => harness.client.workflow.getHandle(workflowIdFor(id)));
    const latency = await timeEach(sizes.coldQueries, (i) => handles[i % handles.length]!.query(accessTokenQuery));
    await worker.stop();
    return latency;
  };
  const cached = await measure('bench-cold-cached');
  const evicted = await measure('bench-cold-evicted', sizes.coldCacheSize);
  return {
    id: 'coldQuery',
    title: `2. Cold query path (${sizes.coldCompanies} companies round-robin; evicting worker caches ${sizes.coldCacheSize})`,
    rows: [
      row('accessToken query, workflow in cache', describePercentiles(cached), goal(cached)),
      row('accessToken query, workflow evicted', describePercentiles(evicted), goal(evicted)),
    ],
    figures: { cachedMs: cached, evictedMs: evicted, companies: sizes.coldCompanies, cacheSize: sizes.coldCacheSize },
  };
}
