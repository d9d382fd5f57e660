import { after, afterEach, before } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import type { WorkerOptions } from '@temporalio/worker';
import { DefaultLogger, NativeConnection, Runtime, bundleWorkflowCode } from '@temporalio/worker';
import type { AlertWebhook } from '../../src/activities/alert-webhook';
import { StaticCredentialSource } from '../../src/activities/credentials';
import type { WorkerSettings } from '../../src/contract';
import { createKeeperWorker } from '../../src/worker/create-worker';
import { PlumClient } from '../../src/plum/client';
import type { PlumSandbox, StartSandboxOptions } from '../../src/sandbox/plum-sandbox';
import type { PlumTokens, RefreshPolicy, StatusResult } from '../../src/contract';
import { workflowIdFor } from '../../src/contract';
import { TokenKeeperClient } from '../../src/client';
import { credentialsOf, startSandbox, uniqueCompanyId } from './sandbox';
import { startTestServer } from './temporal';
import { TEST_SETTINGS } from './settings';
import { TEST_ENROLMENT_KEYS, TEST_KEY_RING, TEST_TOKEN_KEY_RING } from './codec';
import { createDataConverter, workerDataConverter } from '../../src/codec/data-converter';
import { KEEPER_BUNDLE_OPTIONS } from '../../src/worker/workflow-bundle';

export { TEST_SETTINGS };

/** The project's data converter under the test key rings, the workers' enrolment ring included. */
export const TEST_DATA_CONVERTER = createDataConverter(TEST_KEY_RING, TEST_TOKEN_KEY_RING, TEST_ENROLMENT_KEYS);
/** The converter as a worker holds it (what replays must use: the worker's codec marks what a client's does not). */
export const TEST_WORKER_DATA_CONVERTER = workerDataConverter(TEST_DATA_CONVERTER);

Runtime.install({ logger: new DefaultLogger('ERROR') });

let bundlePromise: ReturnType<typeof bundleWorkflowCode> | undefined;

/** The workflow bundle, built once per test process. */
export function workflowBundle(): ReturnType<typeof bundleWorkflowCode> {
  bundlePromise ??= bundleWorkflowCode({
    ...KEEPER_BUNDLE_OPTIONS,
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} } as never,
  });
  return bundlePromise;
}

/** The Temporal server of a test environment: the CLI's dev server, or server v1.31.2 on SQLite (Worker Versioning). */
export interface TestServer {
  address: string;
  namespace: string;
  stop(): Promise<void>;
}

export interface KeeperEnv {
  server: TestServer;
  sandbox: PlumSandbox;
  native: NativeConnection;
  client: Client;
  credentials: StaticCredentialSource;
  stop(): Promise<void>;
}

export async function startKeeperEnv(
  sandboxOptions: StartSandboxOptions = {},
  startServer: () => Promise<TestServer> = startTestServer,
): Promise<KeeperEnv> {
  // Whatever started is stopped when the rest fails: a sandbox left listening keeps the test process alive for ever.
  const [serverStart, sandboxStart] = await Promise.allSettled([startServer(), startSandbox(sandboxOptions)]);
  if (serverStart.status === 'rejected' || sandboxStart.status === 'rejected') {
    if (serverStart.status === 'fulfilled') await serverStart.value.stop();
    if (sandboxStart.status === 'fulfilled') await sandboxStart.value.stop();
    throw serverStart.status === 'rejected' ? serverStart.reason : (sandboxStart as PromiseRejectedResult).reason;
  }
  const [server, sandbox] = [serverStart.value, sandboxStart.value];
  const connections = Promise.all([
    NativeConnection.connect({ address: server.address }),
    Connection.connect({ address: server.address }),
  ]);
  const [native, connection] = await connections.catch(async (error: unknown) => {
    await sandbox.stop();
    await server.stop();
    throw error;
  });
  const client = new Client({ connection, namespace: server.namespace, dataConverter: TEST_DATA_CONVERTER });
  return {
    server,
    sandbox,
    native,
    client,
    credentials: new StaticCredentialSource(),
    async stop() {
      // The server and sandbox stop even when a test left a worker holding the connection: no process outlives it.
      try {
        await connection.close();
        await native.close();
      } finally {
        await sandbox.stop();
        await server.stop();
      }
    },
  };
}

/**
 * One environment for the enclosing `describe`: started before its tests, stopped after them, injected sandbox faults
 * cleared after each test. The returned object is filled in by the `before` hook: read it inside tests only.
 */
export function keeperEnvForSuite(
  sandboxOptions: StartSandboxOptions = {},
  startServer?: () => Promise<TestServer>,
): KeeperEnv {
  const env = {} as KeeperEnv;
  before(async () => {
    Object.assign(env, await startKeeperEnv(sandboxOptions, startServer));
  });
  // `stop` is missing when the start failed: that start stopped what it had started.
  after(() => env.stop?.());
  afterEach(() => env.sandbox?.clearFaults());
  return env;
}

let queueCounter = 0;

/** Runs `fn` with a fresh worker on a fresh task queue. */
export async function withWorker<T>(
  env: KeeperEnv,
  fn: (taskQueue: string) => Promise<T>,
  options: {
    dataConverter?: DataConverter;
    settings?: Partial<WorkerSettings>;
    httpTimeoutMs?: number;
    extra?: Partial<WorkerOptions>;
    taskQueue?: string;
    alerts?: AlertWebhook;
  } = {},
): Promise<T> {
  queueCounter += 1;
  const taskQueue = options.taskQueue ?? `test-${process.pid}-${queueCounter}`;
  const worker = await createKeeperWorker({
    connection: env.native,
    namespace: env.server.namespace,
    taskQueue,
    plum: new PlumClient({ baseUrl: env.sandbox.url, timeoutMs: options.httpTimeoutMs ?? 1500 }),
    credentials: env.credentials,
    settings: { ...TEST_SETTINGS, ...options.settings },
    workflowBundle: await workflowBundle(),
    dataConverter: options.dataConverter ?? TEST_DATA_CONVERTER,
    ...(options.extra && { extra: options.extra }),
    ...(options.alerts && { alerts: options.alerts }),
  });
  return worker.runUntil(fn(taskQueue));
}

/** Enrols through the production path (`TokenKeeperClient.enrol`, update-with-start); a worker must be polling. */
export async function enrol(
  client: Client,
  taskQueue: string,
  input: { companyId: string; tokens: PlumTokens; policy?: RefreshPolicy },
): Promise<{ handle: WorkflowHandle; status: StatusResult }> {
  const status = await new TokenKeeperClient({ client, taskQueue }).enrol(input.companyId, input.tokens, input.policy);
  return { handle: client.workflow.getHandle(workflowIdFor(input.companyId)), status };
}

/** Seeds a sandbox company, gives the worker its credentials and enrols it. */
export async function enrolSandboxCompany(
  env: KeeperEnv,
  taskQueue: string,
  overrides: { tokens?: PlumTokens; policy?: RefreshPolicy } = {},
) {
  const companyId = uniqueCompanyId();
  const seeded = await env.sandbox.seedCompany({ companyId });
  env.credentials.set(companyId, credentialsOf(seeded));
  const { handle } = await enrol(env.client, taskQueue, { companyId, tokens: seeded.tokens, ...overrides });
  return { companyId, seeded, handle };
}
