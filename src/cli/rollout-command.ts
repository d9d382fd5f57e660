import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import { DEFAULT_DEPLOYMENT_NAME, TASK_QUEUE } from '../contract';
import type { DeploymentView } from '../deployment/deployment-view';
import { countPinned, isPolled, readDeployment } from '../deployment/deployment-view';
import { decideRollout, isNewer, isWorkerIdentity } from '../deployment/rollout-decision';
import type { RolloutPolicy } from '../deployment/rollout-decision';
import { resumeRollout } from '../deployment/routing';
import { CliSetupError } from './connect';

/** What `plum-keeper rollout` prints: the routing, who set it, each build, and what the newest polled build's workers do. */
export interface RolloutReport {
  deploymentName: string;
  current?: string;
  ramping?: DeploymentView['ramping'];
  setBy: 'workers' | 'operator';
  lastModifier?: string;
  builds: { buildId: string; polled: boolean; keepers: number; createdAt: Date }[];
  /** What the workers of the newest polled build do next (under this shell's PLUM_ROLLOUT). */
  next?: { buildId: string; action: string; why: string };
}

function newestPolled(view: DeploymentView): string | undefined {
  return view.builds
    .filter((b) => isPolled(b))
    .map((b) => b.buildId)
    .reduce<string | undefined>((a, b) => (a && !isNewer(view, b, a) ? a : b), undefined);
}

async function readOrRefuse(
  client: Client,
  deploymentName: string,
  pollStaleMs: number,
  taskQueue = TASK_QUEUE,
): Promise<DeploymentView> {
  const view = await readDeployment(client, deploymentName, taskQueue, pollStaleMs);
  if (view) return view;
  throw new CliSetupError(
    `no worker of Worker Deployment ${deploymentName} has polled`,
    'workers run unversioned (PLUM_WORKER_VERSIONING=off) or under another PLUM_DEPLOYMENT_NAME',
  );
}

/** The deployment as the rollout sees it. */
export async function rolloutReport(
  client: Client,
  deploymentName: string,
  policy: RolloutPolicy,
  taskQueue = TASK_QUEUE,
): Promise<RolloutReport> {
  const view = await readOrRefuse(client, deploymentName, policy.pollStaleMs, taskQueue);
  const newest = newestPolled(view);
  const decision = newest ? decideRollout(view, newest, policy, Date.now()) : undefined;
  return {
    deploymentName,
    ...(view.current && { current: view.current }),
    ...(view.ramping && { ramping: view.ramping }),
    setBy: isWorkerIdentity(view.lastModifier) ? 'workers' : 'operator',
    ...(view.lastModifier && { lastModifier: view.lastModifier }),
    builds: await Promise.all(
      view.builds.map(async (b) => ({
        buildId: b.buildId,
        polled: isPolled(b),
        keepers: await countPinned(client, deploymentName, b.buildId),
        createdAt: new Date(b.createdAt),
      })),
    ),
    ...(newest && decision && { next: { buildId: newest, action: decision.kind, why: decision.why } }),
  };
}

/** The report in lines. */
export function rolloutLines(report: RolloutReport): string[] {
  return [
    `Worker Deployment ${report.deploymentName}: current build ${report.current ?? 'none (unversioned)'}` +
      (report.ramping ? `, ramping ${report.ramping.buildId} at ${report.ramping.percentage}%` : ''),
    `Routing last set by ${report.setBy === 'workers' ? 'the workers' : `an operator (${report.lastModifier}); the workers leave it until: npx plum-keeper rollout resume`}`,
    ...report.builds.map(
      (b) =>
        `  ${b.buildId}: ${b.keepers} keepers, ${b.polled ? 'workers polling' : 'no worker polling'}${!b.polled && b.keepers > 0 ? '  <-- stranded' : ''}`,
    ),
    ...(report.next ? [`Workers of ${report.next.buildId}: ${report.next.action} (${report.next.why})`] : []),
  ];
}

/**
 * Hands routing back to the workers after an operator's change: makes `buildId` (default: the newest build whose
 * workers poll) current with the workers' identity. Refuses a build no worker polls: its keepers would strand.
 */
export async function resume(
  client: Client,
  deploymentName: string,
  pollStaleMs: number,
  buildId?: string,
): Promise<string> {
  const view = await readOrRefuse(client, deploymentName, pollStaleMs);
  const target = buildId ?? newestPolled(view);
  if (!target) throw new CliSetupError('no build of the deployment has a polling worker', 'start the workers first');
  if (!isPolled(view.builds.find((b) => b.buildId === target))) {
    throw new CliSetupError(
      `no worker of build ${target} polls`,
      'start its workers first, or name a polled build with --build-id',
    );
  }
  await resumeRollout(client, deploymentName, target);
  return target;
}

/** `plum-keeper rollout [resume]`: with `resume`, hands routing back first; then the report and its lines. */
export async function rolloutCommand(
  client: Client,
  config: Config,
  action: string | undefined,
  buildId: string | undefined,
): Promise<{ report: RolloutReport; lines: string[] }> {
  if (action !== undefined && action !== 'resume') {
    throw new CliSetupError(`unknown rollout action "${action}"`, 'use: plum-keeper rollout [resume] [--build-id ID]');
  }
  const name = config.deployment?.deploymentName ?? DEFAULT_DEPLOYMENT_NAME;
  const resumed = action === 'resume' ? await resume(client, name, config.rollout.pollStaleMs, buildId) : undefined;
  const report = await rolloutReport(client, name, config.rollout);
  const lines = rolloutLines(report);
  return {
    report,
    lines: resumed ? [`Build ${resumed} is current; the workers follow PLUM_ROLLOUT again.`, ...lines] : lines,
  };
}
