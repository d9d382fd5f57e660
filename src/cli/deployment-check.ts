import type { Client } from '@temporalio/client';
import { TASK_QUEUE } from '../contract';
import { isPolled, readDeployment, strandedBuilds } from '../deployment/deployment-view';
import { isNewer, isWorkerIdentity } from '../deployment/rollout-decision';
import type { Check } from './check';

/**
 * Where the Worker Deployment stands: a current build (or none: new keepers would wait for one), a ramp, who set it,
 * and any build keepers are pinned to while no worker of it polls (stranded: they answer nothing, never refresh).
 */
export async function deploymentCheck(
  client: Client,
  deployment: { deploymentName: string; buildId: string } | undefined,
  pollStaleMs: number,
  taskQueue: string = TASK_QUEUE,
): Promise<Check> {
  const name = 'worker deployment';
  if (!deployment) return { name, outcome: 'skipped', detail: 'PLUM_WORKER_VERSIONING is off: unversioned workers' };
  const { deploymentName, buildId } = deployment;
  const view = await readDeployment(client, deploymentName, taskQueue, pollStaleMs);
  if (!view) {
    return {
      name,
      outcome: 'skipped',
      detail: `no worker of deployment ${deploymentName} has polled: workers run unversioned (PLUM_WORKER_VERSIONING=off) or under another PLUM_DEPLOYMENT_NAME`,
    };
  }
  const polled = view.builds.filter((b) => isPolled(b)).map((b) => b.buildId);
  const newestPolled = polled.reduce<string | undefined>((a, b) => (a && !isNewer(view, b, a) ? a : b), undefined);
  const setCurrent = `temporal worker deployment set-current-version --deployment-name ${deploymentName} --build-id ${newestPolled ?? 'BUILD_ID'} --yes`;
  const stranded = await strandedBuilds(client, view);
  if (stranded.length > 0) {
    const said = stranded.map((s) => `${s.keepers} keepers on build ${s.buildId}${s.current ? ' (current)' : ''}`);
    const currentStranded = stranded.some((s) => s.current);
    return {
      name,
      outcome: 'problem',
      detail: `stranded, no worker of their build polls: ${said.join(', ')}; they answer no read and never refresh`,
      fix: currentStranded
        ? `start a worker of build ${stranded.find((s) => s.current)!.buildId}, or make a polled build current (its workers then adopt them): ${setCurrent}`
        : `start a worker of build ${stranded[0]!.buildId} and run npx plum-keeper upgrade --build-id ${view.current ?? 'BUILD_ID'}; the current build's workers adopt those whose history replays on them (their log names any that stay)`,
    };
  }
  if (!view.current) {
    return {
      name,
      outcome: 'problem',
      detail: `${deploymentName} has no current build: new keepers wait for one`,
      fix: setCurrent,
    };
  }
  const ramp = view.ramping ? `, ramping ${view.ramping.buildId} at ${view.ramping.percentage}%` : '';
  const mine = view.current === buildId ? ' (this build)' : ` (this CLI's build is ${buildId})`;
  const who = isWorkerIdentity(view.lastModifier)
    ? 'set by the workers'
    : `set by ${view.lastModifier}: the workers leave it until npx plum-keeper rollout resume`;
  return {
    name,
    outcome: 'ok',
    detail: `${deploymentName}: current build ${view.current}${mine}${ramp}, ${who}; polled: ${polled.join(', ') || 'none'}`,
  };
}
