import * as wf from '@temporalio/workflow';
import type { KeeperSinks } from '../contract';
import { MOVE_THROUGH_RELEASE, RELEASE_LINE_MARKER } from '../contract';

/** A 3.x worker was handed a run that an earlier release wrote; the workflow task fails until a worker of that line takes it. */
export class EarlierReleaseRunError extends Error {
  override readonly name = 'EarlierReleaseRunError';
}

/**
 * Refuses, before anything else runs, a run an earlier release wrote (an unversioned run of 2.x, or a run of 1.x):
 * its history holds that release's commands, which this code does not replay. The refusal fails the workflow task,
 * never the workflow: the run and its token set wait for a worker of their own release.
 */
export function refuseEarlierReleaseRun(): void {
  if (wf.patched(RELEASE_LINE_MARKER)) return;
  const message =
    `run ${wf.workflowInfo().runId} of ${wf.workflowInfo().workflowId} was written by a release before 3.0, which a 3.x worker cannot replay: ` +
    `run a ${MOVE_THROUGH_RELEASE} fleet with PLUM_WORKER_VERSIONING on, let every keeper move onto it (plum-keeper upgrade), then deploy 3.x (README: Upgrading from 2.x to 3.0)`;
  wf.proxySinks<KeeperSinks>().keeperRefusals.refused(message);
  throw new EarlierReleaseRunError(message);
}
