import type { Client } from '@temporalio/client';
import type { RolloutAction } from './rollout-decision';
import { ROLLOUT_IDENTITY } from './rollout-decision';

/**
 * Applies a rollout decision for `buildId`: makes it current (clearing a ramp) or ramps it. The identity says a worker
 * did it, so the decision rule tells it from an operator's change. One attempt: when it fails, the caller decides
 * again from a fresh read (another worker of the build may have made the change, or the server may not yet take the
 * version: it exists only once its first worker has polled).
 */
export async function applyRollout(
  client: Client,
  version: { deploymentName: string; buildId: string },
  action: Exclude<RolloutAction, { kind: 'leave' }>,
): Promise<void> {
  const request = {
    namespace: client.options.namespace,
    deploymentName: version.deploymentName,
    buildId: version.buildId,
    identity: `${ROLLOUT_IDENTITY} (build ${version.buildId}: ${action.why})`.slice(0, 250),
  };
  if (action.kind === 'promote') await client.workflowService.setWorkerDeploymentCurrentVersion(request);
  else await client.workflowService.setWorkerDeploymentRampingVersion({ ...request, percentage: action.percentage });
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
