// One keeper worker in its own process, as production runs it, so the chaos suite can SIGKILL, SIGTERM, SIGSTOP it.
// Configured by environment (the lab sets it); the workflow bundle is built once per run and loaded from a file.
import { NativeConnection } from '@temporalio/worker';
import { AlertWebhook } from '../src/activities/alert-webhook';
import { FileCredentialSource } from '../src/activities/credentials';
import { keyRingFromEnv } from '../src/codec/key-ring';
import { createDataConverter } from '../src/codec/data-converter';
import { EnrolmentKeyRing } from '../src/codec/enrolment-seal';
import type { WorkerSettings } from '../src/contract';
import { PlumClient } from '../src/plum/client';
import { createKeeperWorker } from '../src/worker/create-worker';
import { createLog } from '../src/logging/log';
import { installRuntime } from '../src/worker/runtime';
import { runChild, serveAsChild } from '../bench/lib/child-worker';

async function main(): Promise<void> {
  const env = process.env;
  const log = createLog('chaos-worker', { level: 'info', format: 'json' });
  installRuntime({ log, level: 'info' });
  const connection = await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS! });
  const worker = await createKeeperWorker({
    connection,
    namespace: 'default',
    taskQueue: env.CHAOS_TASK_QUEUE!,
    plum: new PlumClient({ baseUrl: env.PLUM_BASE_URL!, timeoutMs: Number(env.CHAOS_HTTP_TIMEOUT_MS ?? 1500) }),
    credentials: new FileCredentialSource(env.PLUM_CREDENTIALS_FILE, undefined),
    dataConverter: createDataConverter(
      keyRingFromEnv(env)!,
      keyRingFromEnv(env, 'PLUM_TOKEN'),
      env.PLUM_ENROLMENT_KEYS ? EnrolmentKeyRing.parse(env.PLUM_ENROLMENT_KEYS) : undefined,
    ),
    settings: JSON.parse(env.CHAOS_SETTINGS ?? '{}') as Partial<WorkerSettings>,
    workflowBundle: { codePath: env.CHAOS_BUNDLE! },
    ...(env.CHAOS_BUILD_ID && {
      deployment: { deploymentName: env.CHAOS_DEPLOYMENT_NAME!, buildId: env.CHAOS_BUILD_ID },
    }),
    ...(env.CHAOS_ALERT_WEBHOOK_URL && {
      alerts: new AlertWebhook({ url: env.CHAOS_ALERT_WEBHOOK_URL, secret: 'chaos', timeoutMs: 500 }),
    }),
    // A killed worker's sticky queue holds its workflows' next tasks: hand them to the next worker within a second.
    extra: { stickyQueueScheduleToStartTimeout: '1s' },
  });
  await serveAsChild(worker, connection);
}

runChild(main);
