import { companyIds } from '../lib/enrol';
import type { Harness } from '../lib/harness';
import type { SectionResult } from '../lib/report';
import { row } from '../lib/report';
import type { Percentiles } from '../lib/stats';
import { describePercentiles, timeEach } from '../lib/stats';
import { queryFloor } from '../lib/query-floor';
import type { BenchSizes } from './sizes';
import { accessTokenQuery, workflowIdFor } from '../../src/contract';

/**
 * The cold-query budget, over the floor measured in the same run (a trivial workflow's constant query through the
 * same client and codec): what the keeper itself may add to a query, replay included.
 */
const goalOver = (floor: Percentiles) => (p: Percentiles) => ({
  text: `p50 ≤ floor + 3 ms, p99 ≤ floor + 15 ms (floor p50 ${floor.p50.toFixed(2)}, p99 ${floor.p99.toFixed(2)} ms)`,
  met: p.p50 <= floor.p50 + 3 && p.p99 <= floor.p99 + 15,
});

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
  const floor = await queryFloor(harness, sizes.queryReads);
  const goal = goalOver(floor);
  const cached = await measure('bench-cold-cached');
  const evicted = await measure('bench-cold-evicted', sizes.coldCacheSize);
  return {
    id: 'coldQuery',
    title: `2. Cold query path (${sizes.coldCompanies} companies round-robin; evicting worker caches ${sizes.coldCacheSize})`,
    rows: [
      row('accessToken query, workflow in cache', describePercentiles(cached), goal(cached)),
      row('accessToken query, workflow evicted', describePercentiles(evicted), goal(evicted)),
      row('floor: constant query of a trivial workflow', describePercentiles(floor)),
    ],
    figures: {
      cachedMs: cached,
      evictedMs: evicted,
      floorMs: floor,
      companies: sizes.coldCompanies,
      cacheSize: sizes.coldCacheSize,
    },
  };
}
