import * as wf from '@temporalio/workflow';
import type { KeeperVersion } from '../contract';
import { KEEPER_PROTOCOL } from '../contract';

/**
 * Where this run stands among Worker Deployment Versions. Runs are pinned to the build that started them (no build
 * ever replays another's history); at each wake a run whose target version changed continues as new onto it.
 */
/**
 * The Worker Deployment Version of the worker running this task; undefined on an unversioned worker (the SDK reports
 * those with an empty deployment name and a build id of its own, which changes with every bundle).
 */
function deploymentVersion(): { deploymentName: string; buildId: string } | undefined {
  const version = wf.workflowInfo().currentDeploymentVersion;
  return version?.deploymentName ? version : undefined;
}

export class RunVersion {
  /** The server names a newer current (or ramping) version for this pinned run: continue as new onto it. */
  targetChanged(): boolean {
    return wf.workflowInfo().targetWorkerDeploymentVersionChanged;
  }

  /**
   * The run read its settings on no build (an unversioned worker, or before 1.0.0) or on another one, and now runs on
   * a versioned worker: an unversioned run moved by the fleet's first `set-current-version`, or a run an operator
   * moved. It continues as new at this wake so the new run reads the worker's settings again. Asked only after a
   * wake (never inside a wait's predicate); in replay the SDK reports the build that ran each task, so it decides as
   * it did.
   */
  movedSinceSettings(settingsBuild: string | undefined): boolean {
    const build = deploymentVersion()?.buildId;
    return build !== undefined && build !== settingsBuild;
  }

  /** What the `keeperVersion` query answers. */
  describe(): KeeperVersion {
    const version = deploymentVersion();
    return version
      ? { protocol: KEEPER_PROTOCOL, build: version.buildId, deployment: version.deploymentName, behavior: 'PINNED' }
      : { protocol: KEEPER_PROTOCOL, behavior: 'UNVERSIONED' };
  }
}
