import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import type { RolloutAction } from './rollout-decision';
import { ROLLOUT_IDENTITY } from './rollout-decision';

/**
 * Applies a rollout decision for `buildId`: makes it current (clearing a ramp) or ramps it. The identity says a worker
 * did it, so the decision rule tells it from an operator's change. Retried while the build's pollers are still
 * registering with the server (a version exists only once its first worker has polled).
 */
export async function applyRollout(
  client: Client,
  version: { deploymentName: string; buildId: string },
  action: Exclude<RolloutAction, { kind: 'leave' }>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const request = {
    namespace: client.options.namespace,
    deploymentName: version.deploymentName,
    buildId: version.buildId,
    identity: `${ROLLOUT_IDENTITY} (build ${version.buildId}: ${action.why})`.slice(0, 250),
  };
  for (;;) {
    try {
      if (action.kind === 'promote') await client.workflowService.setWorkerDeploymentCurrentVersion(request);
      else
        await client.workflowService.setWorkerDeploymentRampingVersion({ ...request, percentage: action.percentage });
      return;
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      await sleep(1000);
    }
  }
}

/**
 * Hands routing back to the workers after an operator's change: makes `buildId` current with the workers' identity,
 * so the next worker's decision follows `PLUM_ROLLOUT` again.
 */
export async function resumeRollout(client: Client, deploymentName: string, buildId: string): Promise<void> {
  await client.workflowService.setWorkerDeploymentCurrentVersion({
    namespace: client.options.namespace,
    deploymentName,
    buildId,
    identity: `${ROLLOUT_IDENTITY} (resumed by an operator)`,
  });
}
