import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import type { ReplayWorkerOptions } from '@temporalio/worker';
import { wakeSignal } from '../contract';
import type { DeploymentView } from '../deployment/deployment-view';
import { countPinned, isPolled, listPinned, readDeployment } from '../deployment/deployment-view';
import type { RolloutAction, RolloutPolicy } from '../deployment/rollout-decision';
import { decideRollout } from '../deployment/rollout-decision';
import { applyRollout } from '../deployment/routing';
import { adoptStranded } from './adoption';

export interface RolloutOptions {
  client: Client;
  version: { deploymentName: string; buildId: string };
  taskQueue: string;
  policy: RolloutPolicy;
  /** How this worker replays a history (its bundle and converter): the check before it adopts a stranded keeper. */
  replayOptions: ReplayWorkerOptions;
  log: { info: (line: string) => void; warn: (line: string) => void };
  /** How often the worker looks at the deployment again (ramps end, stranded keepers are adopted). */
  intervalMs?: number;
}

/** How long a worker waits at start for the server to know its build (its first poll registers it). */
const REGISTER_TIMEOUT_MS = 60_000;
/** How long a worker tries to apply its first decision once its build is listed. */
const FIRST_DECISION_TIMEOUT_MS = 60_000;
/** How often a retiring worker looks again whether its build is still current, a second apart. */
const CURRENT_RECHECKS = 3;
/** Signals in flight while waking keepers. */
const WAKE_CONCURRENCY = 16;
/** How long a handover waits without progress before it wakes the keepers left again. */
const REWAKE_MS = 5000;

/**
 * The worker's side of a rollout: at start it applies the rollout rule to its own build (`decideRollout`), then looks
 * again every `intervalMs` (a ramp's end, an operator's change, keepers pinned to a build no worker polls, which the
 * current build adopts). On SIGTERM, `handOver` moves the keepers of a build that is no longer current.
 */
export class Rollout {
  /** The first decision was applied: until then `/readyz` says not ready, so a rolling update waits for it. */
  settled = false;
  lastDecision: RolloutAction | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;

  constructor(private readonly options: RolloutOptions) {}

  private get buildId(): string {
    return this.options.version.buildId;
  }

  private read(): Promise<DeploymentView | undefined> {
    const { client, version, taskQueue, policy } = this.options;
    return readDeployment(client, version.deploymentName, taskQueue, policy.pollStaleMs);
  }

  /**
   * Waits until the server lists this build, applies the rule once, then keeps looking. The first decision is made
   * again from a fresh read until it is applied (workers of one build starting together race to set it current: the
   * loser reads the winner's routing and leaves it; a version just listed may not be settable yet); past
   * `FIRST_DECISION_TIMEOUT_MS` its error is the caller's.
   */
  async start(): Promise<void> {
    const registeredBy = Date.now() + REGISTER_TIMEOUT_MS;
    let view = await this.read();
    while (!view?.builds.some((b) => b.buildId === this.buildId) && Date.now() < registeredBy) {
      await sleep(500);
      view = await this.read();
    }
    const decidedBy = Date.now() + FIRST_DECISION_TIMEOUT_MS;
    for (;;) {
      try {
        await this.tick(view);
        break;
      } catch (error) {
        if (Date.now() >= decidedBy) throw error;
        this.options.log.warn(`rollout: the first decision failed, trying again: ${String(error)}`);
        await sleep(1000);
        view = undefined; // the next try reads the routing afresh
      }
    }
    this.settled = true;
    const every = this.options.intervalMs ?? 15_000;
    const loop = () => {
      this.ticking = this.tick()
        .catch((error: unknown) => this.options.log.warn(`rollout: ${String(error)}`))
        .finally(() => {
          if (this.timer) this.timer = setTimeout(loop, every);
        });
    };
    this.timer = setTimeout(loop, every);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.ticking;
  }

  private async tick(known?: DeploymentView): Promise<void> {
    const view = known ?? (await this.read());
    if (!view) return;
    const decision = decideRollout(view, this.buildId, this.options.policy, Date.now());
    const changed = decision.why !== this.lastDecision?.why;
    this.lastDecision = decision;
    const name = `${view.deploymentName} build ${this.buildId}`;
    if (decision.kind !== 'leave') {
      await applyRollout(this.options.client, this.options.version, decision);
      this.options.log.info(
        `${name} ${decision.kind === 'promote' ? 'is now current' : `ramps at ${decision.percentage}%`}: ${decision.why}`,
      );
      return;
    }
    if (changed) this.options.log.info(`${name}: ${decision.why}`);
    if (view.current === this.buildId) await this.adopt(view);
  }

  /** Moves keepers of builds no worker polls onto this (current) build. */
  private async adopt(view: DeploymentView): Promise<void> {
    for (const build of view.builds) {
      if (build.buildId === this.buildId || isPolled(build)) continue;
      if ((await countPinned(this.options.client, view.deploymentName, build.buildId)) === 0) continue;
      const result = await adoptStranded({
        client: this.options.client,
        deploymentName: view.deploymentName,
        fromBuild: build.buildId,
        toBuild: this.buildId,
        replayOptions: this.options.replayOptions,
      });
      this.options.log.info(`adopted ${result.moved} keepers of build ${build.buildId}, which no worker polls`);
      for (const { workflowId, why } of result.refused.slice(0, 5)) {
        this.options.log.warn(`${workflowId} stays on build ${build.buildId}: ${why}`);
      }
    }
  }

  /**
   * On SIGTERM, before the worker drains: if this build is no longer current and the current one has live workers,
   * wakes the keepers pinned to this build so each continues as new onto the current one, until none is left or
   * `handoverTimeoutMs` has passed. Returns how many remain. The current build's workers drain as before.
   */
  async handOver(): Promise<{ handedOver: number; remaining: number; seconds: number } | undefined> {
    await this.stop();
    const { client, version, policy, log } = this.options;
    const started = Date.now();
    let view = await this.read();
    // A new build made current a moment ago (a rolling update stops an old pod right after the new one is ready) may
    // not show yet: look again before concluding that this build is still current.
    for (let i = 0; i < CURRENT_RECHECKS && view?.current === this.buildId; i++) {
      await sleep(1000);
      view = await this.read();
    }
    if (!view || view.current === this.buildId || view.ramping?.buildId === this.buildId) {
      log.info(
        `build ${this.buildId} is still ${view?.ramping?.buildId === this.buildId ? 'ramping' : 'current'}: draining without a handover`,
      );
      return undefined;
    }
    const target = view.builds.find((b) => b.buildId === view.current);
    if (view.current !== undefined && !isPolled(target)) {
      log.warn(
        `build ${this.buildId} is not current, but the current build ${view.current} has no live worker: no handover`,
      );
      return undefined;
    }
    const total = await countPinned(client, version.deploymentName, this.buildId);
    if (total === 0) return { handedOver: 0, remaining: 0, seconds: 0 };
    log.info(`handing ${total} keepers of build ${this.buildId} over to ${view.current ?? 'unversioned workers'}`);
    const deadline = started + policy.handoverTimeoutMs;
    let left = total;
    await wakeAll(client, await listPinned(client, version.deploymentName, this.buildId, total));
    // Woken keepers move as fast as the server and this build's workers take their tasks; only when the count stops
    // falling are the rest woken again (one woken before the server told it of the new build stays put).
    let progressAt = Date.now();
    while (left > 0 && Date.now() < deadline) {
      await sleep(500);
      const now = await countPinned(client, version.deploymentName, this.buildId);
      if (now < left) progressAt = Date.now();
      left = now;
      if (left > 0 && Date.now() - progressAt >= REWAKE_MS) {
        await wakeAll(client, await listPinned(client, version.deploymentName, this.buildId, left));
        progressAt = Date.now();
      }
    }
    const seconds = (Date.now() - started) / 1000;
    if (left > 0) log.warn(`${left} of ${total} keepers still on build ${this.buildId} after ${seconds.toFixed(1)} s`);
    else log.info(`handed ${total} keepers over in ${seconds.toFixed(1)} s`);
    return { handedOver: total - left, remaining: left, seconds };
  }
}

async function wakeAll(client: Client, workflowIds: readonly string[]): Promise<void> {
  for (let i = 0; i < workflowIds.length; i += WAKE_CONCURRENCY) {
    await Promise.all(
      workflowIds.slice(i, i + WAKE_CONCURRENCY).map((id) =>
        client.workflow
          .getHandle(id)
          .signal(wakeSignal)
          .catch(() => undefined),
      ),
    );
  }
}
