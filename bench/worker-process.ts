// One keeper worker in its own process, as production runs it: the bench measures the service side (its client)
// and the keeper side (this process's CPU and memory) apart. Configured by environment; reports memory over IPC.
import { NativeConnection, Worker } from '@temporalio/worker';
import { FileCredentialSource } from '../src/activities/credentials';
import { keyRingFromEnv } from '../src/codec/key-ring';
import { createDataConverter } from '../src/codec/data-converter';
import { PlumClient } from '../src/plum/client';
import { createKeeperWorker } from '../src/worker/create-worker';
import { createLog } from '../src/logging/log';
import { installRuntime } from '../src/worker/runtime';
import { runChild, serveAsChild } from './lib/child-worker';

const optionalNumber = (name: string): number | undefined =>
  process.env[name] === undefined ? undefined : Number(process.env[name]);

async function main(): Promise<void> {
  installRuntime({ log: createLog('bench-worker', { level: 'error' }), level: 'error' });
  const env = process.env;
  const connection = await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS! });
  const dataConverter = createDataConverter(keyRingFromEnv(env)!, keyRingFromEnv(env, 'PLUM_TOKEN'));
  if (env.BENCH_FLOOR === '1') {
    // The floor: the same connection and codec, a workflow that only answers a constant.
    const floor = await Worker.create({
      connection,
      namespace: 'default',
      taskQueue: env.BENCH_TASK_QUEUE!,
      workflowsPath: require.resolve('./workflows/constant'),
      dataConverter,
    });
    await serveAsChild(floor, connection);
    return;
  }
  const maxCachedWorkflows = optionalNumber('BENCH_MAX_CACHED_WORKFLOWS');
  const activitiesPerSecond = optionalNumber('BENCH_ACTIVITIES_PER_SECOND');
  const worker = await createKeeperWorker({
    connection,
    namespace: 'default',
    taskQueue: env.BENCH_TASK_QUEUE!,
    plum: new PlumClient({ baseUrl: env.PLUM_BASE_URL! }),
    credentials: new FileCredentialSource(env.PLUM_CREDENTIALS_FILE, undefined),
    dataConverter,
    settings: { minRotationIntervalMs: optionalNumber('BENCH_MIN_ROTATION_INTERVAL_MS') ?? 0 },
    ...(activitiesPerSecond !== undefined && { activitiesPerSecond }),
    ...(maxCachedWorkflows !== undefined && { maxCachedWorkflows }),
  });
  process.on('message', (message) => {
    if (message === 'memory') {
      global.gc?.();
      const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
      process.send?.({ rss, heapUsed, heapTotal, external });
    }
  });
  await serveAsChild(worker, connection);
}

runChild(main);
