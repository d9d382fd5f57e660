// The bench's floor: a workflow whose query handler returns a constant of the accessToken answer's size, so the
// latency of querying it is what Temporal, the SDK and the codec cost with no keeper logic at all.
import { condition, defineQuery, setHandler } from '@temporalio/workflow';

export const constantQuery = defineQuery<Record<string, unknown>>('constant');

const ANSWER = {
  ok: true,
  status: 'ACTIVE',
  expiresAt: 1_796_000_000_000,
  nextRefreshAt: 1_795_990_000_000,
  note: 'x'.repeat(120),
};

export async function constantQueryWorkflow(): Promise<void> {
  setHandler(constantQuery, () => ANSWER);
  await condition(() => false);
}
