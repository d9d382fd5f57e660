import * as wf from '@temporalio/workflow';
import type { KeeperVersion } from '../contract';
import { KEEPER_PROTOCOL } from '../contract';
import { PATCHES } from './patches';

/**
 * Where this run stands among Worker Deployment Versions. Runs are pinned to the build that started them (no build
 * ever replays another's history); at each wake a run whose target version changed continues as new onto it.
 */
export class RunVersion {
  /** The build of the run's first workflow task; read in the first activation, before any await. */
  private readonly startBuild = wf.workflowInfo().currentDeploymentVersion?.buildId;

  /** The server names a newer current (or ramping) version for this pinned run: continue as new onto it. */
  targetChanged(): boolean {
    return wf.workflowInfo().targetWorkerDeploymentVersionChanged;
  }

  /**
   * A run that started on no build, or another one, now runs on a versioned worker: an unversioned run moved by the
   * fleet's first `set-current-version`, or a run an operator moved. It continues as new at this wake so the new run
   * reads the worker's settings again. Asked only after a wake (never inside a wait's predicate), under a patch:
   * histories of runs that moved before this check existed replay as they were written.
   */
  movedSinceStart(): boolean {
    const build = wf.workflowInfo().currentDeploymentVersion?.buildId;
    return build !== undefined && build !== this.startBuild && wf.patched(PATCHES.continueAsNewWhenMoved);
  }

  /** What the `keeperVersion` query answers. */
  describe(): KeeperVersion {
    const version = wf.workflowInfo().currentDeploymentVersion;
    return version
      ? { protocol: KEEPER_PROTOCOL, build: version.buildId, deployment: version.deploymentName, behavior: 'PINNED' }
      : { protocol: KEEPER_PROTOCOL, behavior: 'UNVERSIONED' };
  }
}
