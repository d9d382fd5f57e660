import type { Harness } from './harness';
import type { Percentiles } from './stats';
import { timeEach } from './stats';

const floors = new WeakMap<Harness, Promise<Percentiles>>();

/**
 * The query latency of a workflow whose handler returns a constant, on a worker process like the keeper's, through
 * the same client and codec: the floor every keeper query stands on. Measured once per run.
 */
export function queryFloor(harness: Harness, count: number): Promise<Percentiles> {
  let floor = floors.get(harness);
  if (!floor) {
    floor = (async () => {
      const taskQueue = 'bench-query-floor';
      const worker = await harness.startWorker({ taskQueue, floor: true });
      const handle = await harness.client.workflow.start('constantQueryWorkflow', {
        taskQueue,
        workflowId: `bench-query-floor-${Date.now()}`,
      });
      try {
        await timeEach(Math.min(count, 50), () => handle.query('constant'));
        return await timeEach(count, () => handle.query('constant'));
      } finally {
        await handle.terminate('bench done');
        await worker.stop();
      }
    })();
    floors.set(harness, floor);
  }
  return floor;
}
