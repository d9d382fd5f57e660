import type { DataConverter } from '@temporalio/common';
import type { NativeConnection, ReplayWorkerOptions, WorkerOptions } from '@temporalio/worker';
import { Runtime, Worker } from '@temporalio/worker';
import type { AlertWebhook } from '../activities/alert-webhook';
import type { CredentialSource } from '../activities/credentials';
import { createActivities } from '../activities/plum-activities';
import type { WorkerSettings } from '../contract';
import { DEFAULT_MAX_CACHED_WORKFLOWS, workerSettingsFor } from '../contract';
import type { PlumClient } from '../plum/client';
import { workerDataConverter } from '../codec/data-converter';
import { TASK_QUEUE } from '../contract';
import { KeeperMetrics, replaySinks } from './keeper-metrics';
import { keeperWorkflowBundle } from './workflow-bundle';

export interface KeeperWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  plum: PlumClient;
  credentials: CredentialSource;
  /** Defaults to `plum-tokens`; tests use a fresh queue each. */
  taskQueue?: string;
  settings?: Partial<WorkerSettings>;
  /** Workflows kept in memory (default {@link DEFAULT_MAX_CACHED_WORKFLOWS}). */
  maxCachedWorkflows?: number;
  /** Cap on activities per second across the whole task queue (every worker), enforced by the server. */
  activitiesPerSecond?: number;
  /** A prebuilt bundle (tests build one per run from `KEEPER_BUNDLE_OPTIONS`); else one is built at start, in a child process. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** The project's data converter (`createDataConverter`): payload encryption and encoded failure attributes. */
  dataConverter: DataConverter;
  /** Where status alerts go; without it the workflows send none. */
  alerts?: AlertWebhook;
  /**
   * The Worker Deployment Version this worker joins (Worker Versioning, keeper runs pinned to their build); undefined:
   * an unversioned worker.
   */
  deployment?: { deploymentName: string; buildId: string };
  /** Progress lines of the worker's start (where its workflow code comes from). */
  log?: (line: string) => void;
  /** Extra worker options (interceptors in tests). */
  extra?: Partial<WorkerOptions>;
}

/** How much longer than one Plum call a shutdown waits for in-flight activities. */
const SHUTDOWN_MARGIN_MS = 5000;

/**
 * How long a worker drains after SIGTERM: one Plum call (`PLUM_HTTP_TIMEOUT_MS`) plus a margin, so the reply of a
 * refresh already sent is saved. Whatever stops a worker (compose's `stop_grace_period`, Kubernetes'
 * `terminationGracePeriodSeconds`) must wait longer, or it kills the worker mid-refresh and strands the company.
 */
export function workerDrainMs(httpTimeoutMs: number): number {
  return httpTimeoutMs + SHUTDOWN_MARGIN_MS;
}

/** How this worker's workflow code replays a history: the check a stranded keeper passes before it is adopted. */
export function keeperReplayOptions(
  workflowBundle: NonNullable<WorkerOptions['workflowBundle']>,
  dataConverter: DataConverter,
): ReplayWorkerOptions {
  return { workflowBundle, dataConverter: workerDataConverter(dataConverter), sinks: replaySinks() };
}

/** A worker for the `plum-tokens` task queue: the company workflow and the Plum activities. */
export async function createKeeperWorker(options: KeeperWorkerOptions): Promise<Worker> {
  const settings: WorkerSettings = {
    ...workerSettingsFor(options.settings ?? {}, options.plum.timeoutMs),
    ...(options.alerts && { alertWebhook: true }),
    ...(options.deployment && { buildId: options.deployment.buildId }),
  };
  const taskQueue = options.taskQueue ?? TASK_QUEUE;
  const metrics = new KeeperMetrics(Runtime.instance().metricMeter, {
    namespace: options.namespace,
    task_queue: taskQueue,
  }).startAtZero();
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue,
    sinks: metrics.sinks(),
    dataConverter: workerDataConverter(options.dataConverter),
    activities: createActivities({
      plum: options.plum,
      credentials: options.credentials,
      settings,
      metrics,
      ...(options.alerts && { alerts: options.alerts }),
    }),
    workflowBundle: options.workflowBundle ?? (await keeperWorkflowBundle(options.log)),
    // A shutdown waits for a refresh already at Plum: its reply carries the only live refresh token.
    shutdownGraceTime: workerDrainMs(options.plum.timeoutMs),
    maxCachedWorkflows: options.maxCachedWorkflows ?? DEFAULT_MAX_CACHED_WORKFLOWS,
    ...(options.activitiesPerSecond !== undefined && { maxTaskQueueActivitiesPerSecond: options.activitiesPerSecond }),
    // Pinned by the worker, not by the workflow: a behaviour declared in workflow code makes an unversioned worker's
    // task completions fail on servers from 1.31 ("versioning behavior cannot be specified without deployment
    // options"). Each run stays on the build that started it and moves to a new one at continue-as-new.
    ...(options.deployment && {
      workerDeploymentOptions: {
        useWorkerVersioning: true,
        version: options.deployment,
        defaultVersioningBehavior: 'PINNED',
      },
    }),
    ...options.extra,
  });
}
