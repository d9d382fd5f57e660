import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { ReplayWorkerOptions } from '@temporalio/worker';
import { Worker } from '@temporalio/worker';
import { wakeSignal } from '../contract';
import { listPinned } from '../deployment/deployment-view';

const PINNED = temporal.api.workflow.v1.VersioningOverride.PinnedOverrideBehavior.PINNED_OVERRIDE_BEHAVIOR_PINNED;

/** What one adoption pass did with the keepers of a build no worker polls. */
export interface AdoptionResult {
  moved: number;
  /** Keepers left where they were, each with why (an activity of the old build pending, a history that does not replay). */
  refused: { workflowId: string; why: string }[];
}

/** Keepers taken per pass: a pass stays short, and the next tick takes the next ones. */
const BATCH = 50;
const MOVE_WAIT_MS = 30_000;

/**
 * Moves keepers pinned to `fromBuild` — a build no worker polls any more (`compose up`, a restart with new code) — onto
 * this worker's build `toBuild`, which is current. No build runs another's history unchecked: a keeper moves only when
 * no activity of the old build is pending (its input is the old build's) and its history replays on this build's
 * workflow code (the SDK's replayer, the worker's own bundle and converter). It is then pinned here for one wake, in
 * which it continues as new on this build, and the pin is lifted, so the next rollout moves it as usual.
 */
export async function adoptStranded(options: {
  client: Client;
  deploymentName: string;
  fromBuild: string;
  toBuild: string;
  replayOptions: ReplayWorkerOptions;
}): Promise<AdoptionResult> {
  const { client, deploymentName, fromBuild, toBuild } = options;
  const ids = await listPinned(client, deploymentName, fromBuild, BATCH);
  const refused: AdoptionResult['refused'] = [];
  const candidates: { workflowId: string; runId: string; history: temporal.api.history.v1.IHistory }[] = [];
  for (const workflowId of ids) {
    const handle = client.workflow.getHandle(workflowId);
    const described = await handle.describe();
    if ((described.raw.pendingActivities ?? []).length > 0) {
      refused.push({ workflowId, why: `an activity scheduled by build ${fromBuild} is pending` });
      continue;
    }
    candidates.push({ workflowId, runId: described.runId, history: await handle.fetchHistory() });
  }
  const replayable = new Set<string>();
  const histories = candidates.map(({ workflowId, history }) => ({ workflowId, history }));
  for await (const result of Worker.runReplayHistories(options.replayOptions, histories)) {
    if (result.error)
      refused.push({
        workflowId: result.workflowId,
        why: `its history does not replay here: ${result.error.message.split('\n')[0]}`,
      });
    else replayable.add(result.workflowId);
  }
  const version = { deploymentName, buildId: toBuild };
  const moving = candidates.filter((c) => replayable.has(c.workflowId));
  await Promise.all(
    moving.map(async ({ workflowId, runId }) => {
      await pin(client, { workflowId, runId }, version);
      await client.workflow.getHandle(workflowId, runId).signal(wakeSignal);
    }),
  );
  let moved = 0;
  const deadline = Date.now() + MOVE_WAIT_MS;
  await Promise.all(
    moving.map(async ({ workflowId }) => {
      while (Date.now() < deadline) {
        const info = (await client.workflow.getHandle(workflowId).describe()).raw.workflowExecutionInfo;
        const running = info?.versioningInfo?.deploymentVersion?.buildId;
        if (running === toBuild) break;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      // Lifted on the latest run (a pinned override is inherited at continue-as-new), whether or not it moved yet.
      await pin(client, { workflowId }, undefined);
      const after = (await client.workflow.getHandle(workflowId).describe()).raw.workflowExecutionInfo;
      if (after?.versioningInfo?.deploymentVersion?.buildId === toBuild) moved++;
      else refused.push({ workflowId, why: `did not reach build ${toBuild} within ${MOVE_WAIT_MS / 1000} s` });
    }),
  );
  return { moved, refused };
}

/** Sets (or, with no version, lifts) a pinned versioning override on one execution. */
async function pin(
  client: Client,
  execution: { workflowId: string; runId?: string },
  version: { deploymentName: string; buildId: string } | undefined,
): Promise<void> {
  await client.workflowService.updateWorkflowExecutionOptions({
    namespace: client.options.namespace,
    workflowExecution: execution,
    workflowExecutionOptions: version ? { versioningOverride: { pinned: { behavior: PINNED, version } } } : {},
    updateMask: { paths: ['versioning_override'] },
  });
}
