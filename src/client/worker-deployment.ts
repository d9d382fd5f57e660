import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';

/** A Worker Deployment's routing as an operator reads it. */
export interface DeploymentRouting {
  /** The current build id; undefined: no version is current (new runs go to unversioned workers). */
  currentBuildId?: string;
  rampingBuildId?: string;
  rampingPercentage?: number;
}

/** The deployment's current and ramping builds; undefined when the deployment does not exist yet (no worker polled). */
export async function describeRouting(client: Client, deploymentName: string): Promise<DeploymentRouting | undefined> {
  try {
    const { workerDeploymentInfo } = await client.workflowService.describeWorkerDeployment({
      namespace: client.options.namespace,
      deploymentName,
    });
    const routing = workerDeploymentInfo?.routingConfig;
    const current = routing?.currentDeploymentVersion?.buildId;
    const ramping = routing?.rampingDeploymentVersion?.buildId;
    return {
      ...(current && { currentBuildId: current }),
      ...(ramping && { rampingBuildId: ramping, rampingPercentage: routing?.rampingVersionPercentage ?? 0 }),
    };
  } catch (error) {
    if ((error as { code?: number }).code === 5) return undefined;
    throw error;
  }
}

export type FirstDeployOutcome =
  { kind: 'promoted' } | { kind: 'current' } | { kind: 'other-current'; currentBuildId: string };

/**
 * On a deployment with no current version (the very first versioned deploy), makes `buildId` current: nothing can
 * run a new keeper until some version is. With a current version already set, changes nothing: rolling out a new build
 * is an operator's step (`temporal worker deployment set-current-version`). Retries while this build's pollers are
 * still registering.
 */
export async function promoteIfFirst(
  client: Client,
  version: { deploymentName: string; buildId: string },
  timeoutMs = 30_000,
): Promise<FirstDeployOutcome> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const routing = await describeRouting(client, version.deploymentName);
    if (routing?.currentBuildId === version.buildId) return { kind: 'current' };
    if (routing?.currentBuildId) return { kind: 'other-current', currentBuildId: routing.currentBuildId };
    try {
      await client.workflowService.setWorkerDeploymentCurrentVersion({
        namespace: client.options.namespace,
        deploymentName: version.deploymentName,
        buildId: version.buildId,
        identity: 'plum-token-keeper (first versioned deploy)',
      });
      return { kind: 'promoted' };
    } catch (error) {
      if (Date.now() >= deadline) throw error;
      await sleep(1000);
    }
  }
}
