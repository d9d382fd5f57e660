// The handover at scale: N keepers pinned to build A on Temporal server v1.31.2 (production's long polls), build B's
// worker starts and makes itself current, A's worker gets SIGTERM. Prints the seconds from that SIGTERM until no
// keeper is pinned to A (what compose's stop_grace_period and Kubernetes' terminationGracePeriodSeconds must cover),
// and what it cost the server: CPU and history events per keeper.
//   npm run bench:handover -- --companies 10000
import { execFileSync, fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { Command } from 'commander';
import { TokenKeeperClient } from '../src/client';
import { createDataConverter } from '../src/codec/data-converter';
import { workflowIdFor } from '../src/contract';
import { countPinned } from '../src/deployment/deployment-view';
import { PlumSandbox } from '../src/sandbox/plum-sandbox';
import { KEEPER_BUNDLE_OPTIONS } from '../src/worker/workflow-bundle';
import { startSqliteServer } from '../scripts/cluster/sqlite-server';
import { locateTemporalCli } from '../src/dev-server/cli-locator';
import { companyIds } from './lib/enrol';
import { freshKeys } from './lib/harness';
import { positiveInteger } from './lib/cli-options';
import { cpuMeter, processUsage } from './lib/process-usage';
import { inParallel, waitUntil } from './lib/stats';

const DEPLOYMENT = 'bench-handover';
const TASK_QUEUE = 'bench-handover';
const DAY_MS = 24 * 3600_000;

async function main(): Promise<void> {
  const options = new Command()
    .option('--companies <n>', 'keepers handed over (default 10000)', positiveInteger, 10_000)
    .option('--concurrency <n>', 'enrolments in flight', positiveInteger, 32)
    .parse()
    .opts<{ companies: number; concurrency: number }>();
  const cliPath = await locateTemporalCli({ log: () => {} });
  if (!cliPath) throw new Error('no temporal CLI: npm run ci:temporal-cli');
  const dir = mkdtempSync(join(tmpdir(), 'plum-handover-'));
  const server = await startSqliteServer(cliPath);
  const sandbox = await PlumSandbox.start({ accessLifetimeMs: 10 * DAY_MS, refreshLifetimeMs: 20 * DAY_MS });
  const keys = freshKeys();
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, dataConverter: createDataConverter(keys.codecRing, keys.tokenRing) });
  const children: ReturnType<typeof fork>[] = [];
  try {
    const bundlePath = join(dir, 'workflow-bundle.js');
    writeFileSync(bundlePath, (await bundleWorkflowCode({ ...KEEPER_BUNDLE_OPTIONS, logger: quiet })).code);
    const ids = companyIds('handover', options.companies);
    const credentials: Record<string, { client_id: string; client_secret: string }> = {};
    const seeded = [];
    for (const companyId of ids) {
      const company = await sandbox.seedCompany({ companyId });
      credentials[companyId] = { client_id: company.clientId, client_secret: company.clientSecret };
      seeded.push(company);
    }
    const credentialsFile = join(dir, 'credentials.json');
    writeFileSync(credentialsFile, JSON.stringify(credentials));
    const startWorker = async (buildId: string) => {
      const child = fork(join(__dirname, '..', 'chaos', 'worker-process.ts'), {
        env: {
          ...process.env,
          ...keys.env,
          TEMPORAL_ADDRESS: server.address,
          PLUM_BASE_URL: sandbox.url,
          PLUM_CREDENTIALS_FILE: credentialsFile,
          CHAOS_TASK_QUEUE: TASK_QUEUE,
          CHAOS_BUNDLE: bundlePath,
          CHAOS_DEPLOYMENT_NAME: DEPLOYMENT,
          CHAOS_BUILD_ID: buildId,
          CHAOS_ROLLOUT: JSON.stringify({
            mode: 'auto',
            rampPercent: 10,
            rampMs: 0,
            handoverTimeoutMs: 1800_000,
            pollStaleMs: 90_000,
          }),
          CHAOS_ROLLOUT_INTERVAL_MS: '15000',
        },
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      });
      children.push(child);
      const [first] = (await Promise.race([once(child, 'message'), once(child, 'exit')])) as unknown[];
      if (first !== 'ready') throw new Error(`worker ${buildId} did not start`);
      return child;
    };
    const progress = (line: string) => process.stderr.write(`handover bench: ${line}\n`);
    const a = await startWorker('1.0.0+aaaaaaaaaaaa');
    progress('build A polls');
    const keeper = new TokenKeeperClient({ client, taskQueue: TASK_QUEUE });
    const enrolStart = Date.now();
    await inParallel(seeded, options.concurrency, async (company) => {
      await keeper.enrol(company.companyId, company.tokens);
    });
    const enrolSeconds = (Date.now() - enrolStart) / 1000;
    progress(`${ids.length} enrolled in ${enrolSeconds} s`);
    const pinned = () => countPinned(client, DEPLOYMENT, '1.0.0+aaaaaaaaaaaa');
    await waitUntil(async () => (await pinned()) === ids.length, 600_000, 1000);
    const serverPid = findServerPid(server.address);
    progress('every keeper pinned to A');
    const b = await startWorker('1.1.0+bbbbbbbbbbbb');
    progress('build B ready');
    const meter = cpuMeter({ server: serverPid, workerA: a.pid, workerB: b.pid, bench: process.pid });
    const serverBefore = serverPid ? processUsage(serverPid) : undefined;
    // Listened for before the signal: the worker may be gone before the loop below next looks.
    let exitedAt: number | undefined;
    const aExited = once(a, 'exit').then(() => (exitedAt = Date.now()));
    const sigterm = Date.now();
    a.kill('SIGTERM');
    let left = ids.length;
    const samples: string[] = [];
    while (left > 0 && Date.now() - sigterm < 1800_000) {
      await new Promise((resolve) => setTimeout(resolve, 2000));
      left = await pinned();
      samples.push(`${((Date.now() - sigterm) / 1000).toFixed(0)} s: ${left}`);
      progress(`${samples.at(-1)!} left on A`);
    }
    const handoverSeconds = (Date.now() - sigterm) / 1000;
    const cpu = meter.stop();
    const serverAfter = serverPid ? processUsage(serverPid) : undefined;
    await aExited;
    const exitSeconds = (exitedAt! - sigterm) / 1000;
    // History written by one handover: the old run's events from its wake to its end, and the new run's first ones.
    const sample = ids[0]!;
    let events = 0;
    for await (const run of client.workflow.list({ query: `WorkflowId = '${workflowIdFor(sample)}'` })) {
      events += (await client.workflow.getHandle(workflowIdFor(sample), run.runId).fetchHistory()).events?.length ?? 0;
    }
    console.log(
      JSON.stringify(
        {
          companies: ids.length,
          enrolSeconds,
          handoverSeconds,
          workerAExitSeconds: exitSeconds,
          keepersPerSecond: Math.round(ids.length / handoverSeconds),
          left,
          cpuCoresDuringHandover: cpu,
          serverCpuSeconds: serverBefore && serverAfter ? serverAfter.cpuSeconds - serverBefore.cpuSeconds : undefined,
          serverRssMiB: serverAfter ? Math.round(serverAfter.rssBytes / 2 ** 20) : undefined,
          historyEventsOfOneKeeperBothRuns: events,
          progress: samples,
        },
        null,
        2,
      ),
    );
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? once(c, 'exit') : undefined)));
    await connection.close();
    await sandbox.stop();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const quiet = { trace: () => {}, debug: () => {}, info: () => {}, warn: () => {}, error: () => {}, log: () => {} };

/** The server process listening on the frontend's port (for its CPU figure). */
function findServerPid(address: string): number | undefined {
  const port = address.split(':')[1];
  try {
    const out = execFileSync('ss', ['-ltnp', `sport = :${port}`], { encoding: 'utf8' });
    const match = /pid=(\d+)/.exec(out);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
