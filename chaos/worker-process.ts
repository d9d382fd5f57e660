// One keeper worker in its own process, as production runs it, so the chaos suite can SIGKILL, SIGTERM, SIGSTOP it.
// Configured by environment (the lab sets it); the workflow bundle is built once per run and loaded from a file. A
// versioned one runs the production rollout (`src/worker/rollout.ts`): its build takes over by `CHAOS_ROLLOUT`, and
// on SIGTERM it hands its keepers over before it drains, as `src/worker.ts` does.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { AlertWebhook } from '../src/activities/alert-webhook';
import { FileCredentialSource } from '../src/activities/credentials';
import { keyRingFromEnv } from '../src/codec/key-ring';
import { createDataConverter } from '../src/codec/data-converter';
import { EnrolmentKeyRing } from '../src/codec/enrolment-seal';
import type { WorkerSettings } from '../src/contract';
import type { RolloutPolicy } from '../src/deployment/rollout-decision';
import { PlumClient } from '../src/plum/client';
import { createKeeperWorker, keeperReplayOptions } from '../src/worker/create-worker';
import { Rollout } from '../src/worker/rollout';
import { stopOnSignals } from '../src/worker/stop-on-signals';
import { createLog } from '../src/logging/log';
import { installRuntime } from '../src/worker/runtime';
import { runChild, serveAsChild } from '../bench/lib/child-worker';

async function main(): Promise<void> {
  const env = process.env;
  const log = createLog('chaos-worker', { level: 'info', format: 'json' });
  installRuntime({ log, level: 'info' });
  const connection = await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS! });
  const dataConverter = createDataConverter(
    keyRingFromEnv(env)!,
    keyRingFromEnv(env, 'PLUM_TOKEN'),
    env.PLUM_ENROLMENT_KEYS ? EnrolmentKeyRing.parse(env.PLUM_ENROLMENT_KEYS) : undefined,
  );
  const workflowBundle = { codePath: env.CHAOS_BUNDLE! };
  const deployment = env.CHAOS_BUILD_ID
    ? { deploymentName: env.CHAOS_DEPLOYMENT_NAME!, buildId: env.CHAOS_BUILD_ID }
    : undefined;
  const taskQueue = env.CHAOS_TASK_QUEUE!;
  const worker = await createKeeperWorker({
    connection,
    namespace: 'default',
    taskQueue,
    plum: new PlumClient({ baseUrl: env.PLUM_BASE_URL!, timeoutMs: Number(env.CHAOS_HTTP_TIMEOUT_MS ?? 1500) }),
    credentials: new FileCredentialSource(env.PLUM_CREDENTIALS_FILE, undefined),
    dataConverter,
    settings: JSON.parse(env.CHAOS_SETTINGS ?? '{}') as Partial<WorkerSettings>,
    workflowBundle,
    ...(deployment && { deployment }),
    ...(env.CHAOS_ALERT_WEBHOOK_URL && {
      alerts: new AlertWebhook({ url: env.CHAOS_ALERT_WEBHOOK_URL, secret: 'chaos', timeoutMs: 500 }),
    }),
    // A killed worker's sticky queue holds its workflows' next tasks: hand them to the next worker within a second.
    extra: { stickyQueueScheduleToStartTimeout: '1s' },
  });
  const policy = env.CHAOS_ROLLOUT ? (JSON.parse(env.CHAOS_ROLLOUT) as RolloutPolicy) : undefined;
  if (!deployment || !policy) return serveAsChild(worker, connection);
  const client = new Client({
    connection: await Connection.connect({ address: env.TEMPORAL_ADDRESS! }),
    dataConverter,
  });
  const rollout = new Rollout({
    client,
    version: deployment,
    taskQueue,
    policy,
    replayOptions: keeperReplayOptions(workflowBundle, dataConverter),
    log: { info: (line) => log.info(line), warn: (line) => log.warn(line) },
    intervalMs: Number(env.CHAOS_ROLLOUT_INTERVAL_MS ?? 2000),
  });
  stopOnSignals(worker, rollout, { info: (line) => log.info(line), warn: (line) => log.warn(line) });
  // Ready, as /readyz says it, only once the first rollout decision is applied.
  await serveAsChild(worker, connection, { ownSignals: true, ready: rollout.start() });
  await client.connection.close();
}

runChild(main);
