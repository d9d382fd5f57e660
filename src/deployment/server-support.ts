import type { Client } from '@temporalio/client';
import semver from 'semver';

/** The first Temporal server release that moves a pinned run to a new current build when it continues as new. */
export const PINNED_MOVES_SINCE = '1.31.0';

/** Why a server cannot run versioned keepers, said with what to use instead. */
export class ServerCannotMovePinnedRunsError extends Error {
  override readonly name = 'ServerCannotMovePinnedRunsError';
}

/**
 * Refuses a server that pins runs but never moves them (the temporal CLI's dev server is 1.29): versioned keepers on
 * it stay on their first build for good, and a new build would strand them.
 */
export async function assertServerMovesPinnedRuns(client: Client): Promise<string> {
  const { serverVersion } = await client.workflowService.getSystemInfo({});
  const version = semver.coerce(serverVersion ?? '')?.version;
  if (version && semver.gte(version, PINNED_MOVES_SINCE)) return version;
  throw new ServerCannotMovePinnedRunsError(
    `Temporal server ${serverVersion || '(version unknown)'} cannot move a pinned keeper to a new build ` +
      `(upgrade on continue-as-new needs server ${PINNED_MOVES_SINCE} or later; the temporal CLI's dev server is older): ` +
      'run a server of 1.31.2 or later (README: Operating it), or run unversioned workers with PLUM_WORKER_VERSIONING=off ' +
      'and stop every old worker before new ones start',
  );
}
