import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { WORKFLOW_TYPE } from '../contract';

/** One build of a Worker Deployment, as the rollout and the checks see it. */
export interface BuildView {
  buildId: string;
  /** Epoch ms the build's first worker polled (the version was created). */
  createdAt: number;
  /** Epoch ms of the latest poll by any of its workers on the keeper task queue; undefined: never seen. */
  lastPollAt?: number;
  /** Some worker of it polled within the staleness window when the view was read: it has a live worker. */
  polled: boolean;
}

/** A Worker Deployment's routing and builds. */
export interface DeploymentView {
  deploymentName: string;
  /** The current build; undefined: none (new keepers go to unversioned workers). */
  current?: string;
  ramping?: { buildId: string; percentage: number; since?: number };
  /** Epoch ms the current version last changed; undefined: it never did (no build was ever made current). */
  currentChangedAt?: number;
  /** Who made the latest routing change (the `identity` of that call). */
  lastModifier?: string;
  builds: BuildView[];
}

/**
 * A poll older than this means the worker is gone. An idle worker's long poll is answered after about a minute and
 * it polls again at once, so a live worker is never seen older than that; the server lists a gone one for minutes.
 */
export const POLL_STALE_MS = 90_000;

const millis = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
  t ? Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : undefined;

/** Whether some worker of `build` was polling when the view was read. */
export function isPolled(build: BuildView | undefined): boolean {
  return build?.polled === true;
}

/**
 * The deployment's routing and builds, with each build's latest poll on `taskQueue` (live: within `staleMs`);
 * undefined: no worker joined it.
 */
export async function readDeployment(
  client: Client,
  deploymentName: string,
  taskQueue: string,
  staleMs: number = POLL_STALE_MS,
): Promise<DeploymentView | undefined> {
  const namespace = client.options.namespace;
  let info;
  try {
    ({ workerDeploymentInfo: info } = await client.workflowService.describeWorkerDeployment({
      namespace,
      deploymentName,
    }));
  } catch (error) {
    if ((error as { code?: number }).code === 5) return undefined;
    throw error;
  }
  const readAt = Date.now();
  const { pollers } = await client.workflowService.describeTaskQueue({
    namespace,
    taskQueue: { name: taskQueue },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  });
  const lastPoll = new Map<string, number>();
  for (const poller of pollers ?? []) {
    if (poller.deploymentOptions?.deploymentName !== deploymentName) continue;
    const buildId = poller.deploymentOptions.buildId ?? '';
    const at = millis(poller.lastAccessTime) ?? 0;
    lastPoll.set(buildId, Math.max(lastPoll.get(buildId) ?? 0, at));
  }
  const routing = info?.routingConfig;
  const current = routing?.currentDeploymentVersion?.buildId;
  const ramping = routing?.rampingDeploymentVersion?.buildId;
  const currentChangedAt = millis(routing?.currentVersionChangedTime);
  const rampSince = millis(routing?.rampingVersionChangedTime);
  return {
    deploymentName,
    ...(current && { current }),
    ...(ramping && {
      ramping: {
        buildId: ramping,
        percentage: routing?.rampingVersionPercentage ?? 0,
        ...(rampSince !== undefined && { since: rampSince }),
      },
    }),
    ...(currentChangedAt && { currentChangedAt }),
    ...(info?.lastModifierIdentity && { lastModifier: info.lastModifierIdentity }),
    builds: (info?.versionSummaries ?? []).flatMap((summary) => {
      const buildId = summary.deploymentVersion?.buildId;
      if (!buildId) return [];
      const lastPollAt = lastPoll.get(buildId);
      const polled = lastPollAt !== undefined && readAt - lastPollAt < staleMs;
      return [{ buildId, createdAt: millis(summary.createTime) ?? 0, ...(lastPollAt && { lastPollAt }), polled }];
    }),
  };
}

/** The visibility query for running keepers pinned to `buildId` of `deploymentName`. */
export function pinnedQuery(deploymentName: string, buildId: string): string {
  return (
    `WorkflowType = '${WORKFLOW_TYPE}' AND ExecutionStatus = 'Running' AND ` +
    `TemporalWorkerDeploymentVersion = '${deploymentName}:${buildId}'`
  );
}

/** How many running keepers are pinned to `buildId`. */
export async function countPinned(client: Client, deploymentName: string, buildId: string): Promise<number> {
  return (await client.workflow.count(pinnedQuery(deploymentName, buildId))).count;
}

/** Company workflow ids pinned to `buildId`, at most `limit`. */
export async function listPinned(
  client: Client,
  deploymentName: string,
  buildId: string,
  limit: number,
): Promise<string[]> {
  const ids: string[] = [];
  for await (const execution of client.workflow.list({ query: pinnedQuery(deploymentName, buildId) })) {
    ids.push(execution.workflowId);
    if (ids.length >= limit) break;
  }
  return ids;
}

/** A build some keepers are pinned to while no worker of it polls: they answer nothing and never refresh. */
export interface StrandedBuild {
  buildId: string;
  keepers: number;
  current: boolean;
}

/** The builds of `view` with pinned keepers and no live worker. */
export async function strandedBuilds(client: Client, view: DeploymentView): Promise<StrandedBuild[]> {
  const stranded: StrandedBuild[] = [];
  for (const build of view.builds) {
    if (isPolled(build)) continue;
    const keepers = await countPinned(client, view.deploymentName, build.buildId);
    if (keepers > 0) stranded.push({ buildId: build.buildId, keepers, current: build.buildId === view.current });
  }
  return stranded;
}
