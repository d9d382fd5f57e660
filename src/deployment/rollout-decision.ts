import semver from 'semver';
import type { DeploymentView } from './deployment-view';
import { isPolled } from './deployment-view';

/** How new builds take over (`PLUM_ROLLOUT`, `PLUM_ROLLOUT_RAMP_PERCENT`, `PLUM_ROLLOUT_RAMP_MINUTES`). */
export interface RolloutPolicy {
  mode: 'auto' | 'ramp' | 'manual';
  rampPercent: number;
  rampMs: number;
  /** On SIGTERM, how long a worker of a build no longer current hands its keepers over (`PLUM_HANDOVER_TIMEOUT_MS`). */
  handoverTimeoutMs: number;
  /** A build whose workers have not polled for this long counts as gone (`PLUM_POLL_STALE_MS`). */
  pollStaleMs: number;
}

/** Every routing change the workers make carries an identity starting so; any other identity is an operator's. */
export const ROLLOUT_IDENTITY = 'plum-token-keeper rollout';

/** What a worker does about its own build: make it current, ramp it, or leave routing alone (and why). */
export type RolloutAction =
  { kind: 'promote'; why: string } | { kind: 'ramp'; percentage: number; why: string } | { kind: 'leave'; why: string };

/** Whether an identity is one of the workers' own (the pre-3.0 first-deploy identity included). */
export function isWorkerIdentity(identity: string | undefined): boolean {
  return identity === undefined || identity === '' || identity.startsWith('plum-token-keeper');
}

/**
 * Whether build `a` is newer than build `b`: first by the release (the semver before `+`, when both have one), then,
 * within one release, by which build's workers first polled later. A build that no longer has a version in the
 * deployment counts as oldest.
 */
export function isNewer(view: DeploymentView, a: string, b: string): boolean {
  const releaseA = semver.valid(a.split('+')[0]);
  const releaseB = semver.valid(b.split('+')[0]);
  if (releaseA && releaseB && releaseA !== releaseB) return semver.gt(releaseA, releaseB);
  const created = (id: string) => view.builds.find((build) => build.buildId === id)?.createdAt ?? -1;
  return created(a) > created(b);
}

/**
 * What the worker of build `me` does with the deployment's routing. Pure: the worker applies it, `plum-keeper rollout`
 * prints it. In order:
 * - no build was ever current: make `me` current (the first deploy, in every mode);
 * - an operator made the latest routing change (a rollback, `--unversioned`, a manual promotion): leave it;
 * - `manual`: leave it; `me` is current already: nothing to do;
 * - `me` is not newer than the current build, or a newer build's workers poll: leave it (a stray old worker);
 * - `auto`: make `me` current; `ramp`: ramp `me`, and make it current once the ramp time is over or once the current
 *   build has no live worker (a ramp cannot wait on workers that are gone).
 */
export function decideRollout(view: DeploymentView, me: string, policy: RolloutPolicy, now: number): RolloutAction {
  if (view.current === undefined && view.currentChangedAt === undefined && view.ramping === undefined) {
    return { kind: 'promote', why: 'no build was ever current: the first versioned deploy' };
  }
  if (!isWorkerIdentity(view.lastModifier)) {
    return {
      kind: 'leave',
      why: `the routing was last set by ${view.lastModifier}: an operator's choice stays until \`npx plum-keeper rollout resume\``,
    };
  }
  if (view.current === me) return { kind: 'leave', why: 'this build is current' };
  if (policy.mode === 'manual') return { kind: 'leave', why: 'PLUM_ROLLOUT=manual: an operator makes builds current' };
  if (view.current !== undefined && !isNewer(view, me, view.current)) {
    return { kind: 'leave', why: `the current build ${view.current} is newer: this build takes no keeper` };
  }
  const newer = view.builds.find((b) => b.buildId !== me && isPolled(b) && isNewer(view, b.buildId, me));
  if (newer) return { kind: 'leave', why: `a newer build ${newer.buildId} is polling` };
  if (policy.mode === 'auto') {
    return { kind: 'promote', why: `newer than the current build ${view.current ?? '(unversioned)'}` };
  }
  const currentBuild = view.builds.find((b) => b.buildId === view.current);
  if (view.current !== undefined && !isPolled(currentBuild)) {
    return { kind: 'promote', why: `the current build ${view.current} has no live worker to ramp beside` };
  }
  if (view.ramping?.buildId !== me) {
    return { kind: 'ramp', percentage: policy.rampPercent, why: `ramping beside ${view.current ?? '(unversioned)'}` };
  }
  const since = view.ramping.since ?? now;
  if (now - since >= policy.rampMs)
    return { kind: 'promote', why: `ramped for ${Math.round((now - since) / 60_000)} min` };
  return {
    kind: 'leave',
    why: `ramping at ${view.ramping.percentage}% until ${new Date(since + policy.rampMs).toISOString()}`,
  };
}
