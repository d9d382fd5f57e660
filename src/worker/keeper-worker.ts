import type { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import type { DataConverter } from '@temporalio/common';
import { AlertWebhook } from '../activities/alert-webhook';
import type { CredentialSource } from '../activities/credentials';
import type { Config } from '../config';
import { TASK_QUEUE } from '../contract';
import { assertServerMovesPinnedRuns } from '../deployment/server-support';
import type { Log } from '../logging/log';
import type { Monitoring } from '../monitoring/start-monitoring';
import { startMonitoring } from '../monitoring/start-monitoring';
import { PlumClient } from '../plum/client';
import { createKeeperWorker, keeperReplayOptions } from './create-worker';
import { Rollout } from './rollout';
import { stopOnSignals } from './stop-on-signals';
import { keeperWorkflowBundle } from './workflow-bundle';

/** What the keeper's worker runs against, wherever it came from (a named server, or the embedded demo). */
export interface KeeperWorkerSetup {
  config: Config;
  client: Client;
  /** The native connection the worker polls through ({@link connectNative}: a refusal names the setting to fix). */
  native: NativeConnection;
  namespace: string;
  plumUrl: string;
  credentials: CredentialSource;
  dataConverter: DataConverter;
  /** The metrics exporter the runtime was installed with, when `PLUM_METRICS_PORT` is set. */
  exporterAddress: string | undefined;
  log: Log;
}

/** A started keeper worker: `running` settles when it has drained; `stop` closes what it opened. */
export interface StartedKeeperWorker {
  running: Promise<void>;
  metricsUrl: string | undefined;
  stops: (() => Promise<void>)[];
}

/**
 * Starts the production worker: the worker on `plum-tokens`, its rollout (versioned), its
 * monitoring, and the drain on SIGTERM/SIGINT.
 */
export async function startKeeperWorker(setup: KeeperWorkerSetup): Promise<StartedKeeperWorker> {
  const { config, client, log } = setup;
  const stops: (() => Promise<void>)[] = [];
  if (config.deployment) log.info(`Temporal server ${await assertServerMovesPinnedRuns(client)} moves pinned keepers`);
  const workflowBundle = await keeperWorkflowBundle((line) => log.info(line));
  const worker = await createKeeperWorker({
    connection: setup.native,
    namespace: setup.namespace,
    plum: new PlumClient({ baseUrl: setup.plumUrl, timeoutMs: config.httpTimeoutMs }),
    credentials: setup.credentials,
    settings: { policy: config.policy, minRotationIntervalMs: config.minRotationIntervalMs },
    activitiesPerSecond: config.refreshActivitiesPerSecond,
    maxCachedWorkflows: config.maxCachedWorkflows,
    dataConverter: setup.dataConverter,
    workflowBundle,
    ...(config.deployment && { deployment: config.deployment }),
    ...(config.alertWebhook && { alerts: new AlertWebhook({ ...config.alertWebhook, timeoutMs: 10_000 }) }),
  });
  const rollout =
    config.deployment &&
    new Rollout({
      client,
      version: config.deployment,
      taskQueue: TASK_QUEUE,
      policy: config.rollout,
      replayOptions: keeperReplayOptions(workflowBundle, setup.dataConverter),
      log: { info: (line) => log.info(line), warn: (line) => log.warn(line) },
    });
  let monitoring: Monitoring | undefined;
  if (config.metrics && setup.exporterAddress) {
    monitoring = await startMonitoring({
      config: config.metrics,
      exporterAddress: setup.exporterAddress,
      client,
      worker,
      ...(config.deployment && {
        deployment: { ...config.deployment, pollStaleMs: config.rollout.pollStaleMs },
        rollout,
      }),
      warn: (message, meta) => log.warn(message, meta),
    });
    const started = monitoring;
    stops.unshift(() => started.stop());
  }
  stopOnSignals(worker, rollout, { info: (line) => log.info(line), warn: (line) => log.warn(line) });
  const running = worker.run();
  // A start that fails after this point (the demo's enrolment) drains the worker before its connection closes.
  stops.unshift(async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running.catch(() => undefined);
  });
  if (rollout) void rollout.start().catch((error: unknown) => log.warn(`rollout: ${String(error)}`));
  return { running, metricsUrl: monitoring?.url, stops };
}
