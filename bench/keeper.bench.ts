// Prints figures for the hot paths: enrolment, rotations, token reads (cached and cold), user tokens.
// Run: npm run bench. Real dev server, sandbox over loopback, one worker; numbers are for this machine only.
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { StaticCredentialSource } from '../src/activities/credentials';
import { TokenKeeperClient } from '../src/client';
import { createKeeperWorker } from '../src/worker/create-worker';
import { installRuntimeLogging } from '../src/worker/runtime-logging';
import { PlumClient } from '../src/plum/client';
import { PlumSandbox } from '../src/sandbox/plum-sandbox';
import { DevServer } from '../src/temporal/dev-server';
import { locateTemporalCli } from '../src/temporal/cli-locator';
import { createDataConverter } from '../src/codec/data-converter';
import { TEST_KEY_RING, TEST_TOKEN_KEY_RING } from '../test/helpers/codec';

const COMPANIES = Number(process.env.BENCH_COMPANIES ?? 50);

function summary(name: string, samples: number[]): void {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(3);
  console.log(
    `${name.padEnd(34)} n=${String(sorted.length).padEnd(6)} p50=${at(0.5)} ms  p95=${at(0.95)} ms  max=${at(1)} ms`,
  );
}

async function timed<T>(samples: number[], fn: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const result = await fn();
  samples.push(performance.now() - start);
  return result;
}

async function main(): Promise<void> {
  installRuntimeLogging('ERROR');
  const cliPath = await locateTemporalCli({ log: console.error });
  if (!cliPath) throw new Error('the benchmark needs the temporal CLI');
  const [server, sandbox] = await Promise.all([DevServer.start({ cliPath }), PlumSandbox.start()]);
  const native = await NativeConnection.connect({ address: server.address });
  const connection = await Connection.connect({ address: server.address });
  const dataConverter = createDataConverter(TEST_KEY_RING, TEST_TOKEN_KEY_RING);
  const credentials = new StaticCredentialSource();
  const worker = await createKeeperWorker({
    connection: native,
    namespace: 'default',
    plum: new PlumClient({ baseUrl: sandbox.url }),
    credentials,
    dataConverter,
    // Back-to-back rotations of one company are what this measures; production spaces them (30 s by default).
    settings: { minRotationIntervalMs: 0 },
  });
  const keeper = new TokenKeeperClient({ client: new Client({ connection, dataConverter }) });
  try {
    await worker.runUntil(async () => {
      const enrol: number[] = [];
      const ids: string[] = [];
      for (let i = 0; i < COMPANIES; i++) {
        const companyId = `bench-${i}`;
        const seeded = await sandbox.seedCompany({ companyId });
        credentials.set(companyId, { clientId: seeded.clientId, clientSecret: seeded.clientSecret });
        await timed(enrol, () => keeper.enrol(companyId, seeded.tokens));
        ids.push(companyId);
      }
      summary('enrol (update-with-start)', enrol);

      const cold: number[] = [];
      for (const id of ids) await timed(cold, () => keeper.getAccessToken(id));
      summary('getAccessToken, cold (1 query)', cold);

      const cached: number[] = [];
      for (let round = 0; round < 200; round++)
        for (const id of ids) await timed(cached, () => keeper.getAccessToken(id));
      summary('getAccessToken, cached', cached);

      const rotate: number[] = [];
      for (const id of ids) await timed(rotate, () => keeper.refreshNow(id));
      summary('refreshNow (one upstream rotation)', rotate);

      const parallel = performance.now();
      await Promise.all(ids.map((id) => keeper.refreshNow(id)));
      console.log(
        `refreshNow, ${ids.length} companies in parallel: ${(performance.now() - parallel).toFixed(0)} ms in all`,
      );

      const userMiss: number[] = [];
      const userHit: number[] = [];
      for (const id of ids) await timed(userMiss, () => keeper.getUserToken(id, 'boss@acme.test'));
      for (const id of ids) await timed(userHit, () => keeper.getUserToken(id, 'boss@acme.test'));
      summary('getUserToken, miss (exchange)', userMiss);
      summary('getUserToken, hit (query)', userHit);
      const stats = await sandbox.stats();
      console.log(`upstream refresh calls: ${JSON.stringify(stats.calls.refresh)}`);
    });
  } finally {
    await connection.close();
    await native.close();
    await sandbox.stop();
    await server.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
