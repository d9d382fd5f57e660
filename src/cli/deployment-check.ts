import type { Client } from '@temporalio/client';
import { describeRouting } from '../client/worker-deployment';
import type { Check } from './check';

/**
 * Where the Worker Deployment stands: a current build (or none: new keepers would wait for one) and a ramp. A
 * deployment no worker has joined says the fleet runs unversioned, which this CLI cannot tell apart from a typo.
 */
export async function deploymentCheck(
  client: Client,
  deployment: { deploymentName: string; buildId: string } | undefined,
): Promise<Check> {
  const name = 'worker deployment';
  if (!deployment) return { name, outcome: 'skipped', detail: 'PLUM_WORKER_VERSIONING is off: unversioned workers' };
  const { deploymentName, buildId } = deployment;
  const routing = await describeRouting(client, deploymentName);
  const setCurrent = `temporal worker deployment set-current-version --deployment-name ${deploymentName} --build-id BUILD_ID`;
  if (!routing) {
    return {
      name,
      outcome: 'skipped',
      detail: `no worker of deployment ${deploymentName} has polled: workers run unversioned (PLUM_WORKER_VERSIONING=off) or under another PLUM_DEPLOYMENT_NAME`,
    };
  }
  if (!routing.currentBuildId) {
    return {
      name,
      outcome: 'problem',
      detail: `${deploymentName} has no current build: new keepers wait for one`,
      fix: setCurrent,
    };
  }
  const ramp = routing.rampingBuildId ? `, ramping ${routing.rampingBuildId} at ${routing.rampingPercentage}%` : '';
  const mine = routing.currentBuildId === buildId ? ' (this build)' : ` (this CLI's build is ${buildId})`;
  return { name, outcome: 'ok', detail: `${deploymentName}: current build ${routing.currentBuildId}${mine}${ramp}` };
}
