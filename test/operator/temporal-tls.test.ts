// Issue 24, part 3: a worker and the CLI connect to a Temporal frontend that requires mutual TLS (the server v1.31.2
// from deploy/temporal/server-sqlite.yaml, with certificates made here by openssl), and each broken setting gets one
// line that names what is wrong and the variable that fixes it.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SqliteServer } from '../../scripts/cluster/sqlite-server';
import { startSqliteServer } from '../../scripts/cluster/sqlite-server';
import type { TestCertificates } from '../../scripts/cluster/tls';
import { clientTlsEnv, makeTestCertificates, serverTlsEnv } from '../../scripts/cluster/tls';
import type { PlumSandbox } from '../../src/sandbox/plum-sandbox';
import type { SeededCompany } from '../../src/sandbox/store';
import { freePort } from '../../src/dev-server/dev-server';
import type { Child } from '../helpers/child';
import { startNode } from '../helpers/child';
import { TEST_KEY_ENV_VARS } from '../helpers/codec';
import { startSandbox, uniqueCompanyId } from '../helpers/sandbox';
import { testCliPath } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';
import { credentialsFileFor } from '../helpers/worker-child';

async function finished(run: Child, stdin?: string): Promise<{ code: number | null; out: string; err: string }> {
  run.child.stdin.end(stdin);
  const code = await run.exited;
  return { code, out: run.stdout(), err: run.stderr() };
}

describe('Temporal over mutual TLS (a frontend that requires client certificates)', () => {
  let certs: TestCertificates;
  let server: SqliteServer;
  let sandbox: PlumSandbox;
  let seeded: SeededCompany;
  let worker: Child | undefined;
  let base: Record<string, string>;
  let closedAddress: string;

  before(async () => {
    certs = makeTestCertificates(join(mkdtempSync(join(tmpdir(), 'plum-tls-')), 'certs'));
    server = await startSqliteServer(await testCliPath(), () => {}, {
      serverEnv: serverTlsEnv(certs),
      clientEnv: clientTlsEnv(certs),
    });
    sandbox = await startSandbox();
    seeded = await sandbox.seedCompany({ companyId: uniqueCompanyId('tls') });
    base = { TEMPORAL_ADDRESS: server.address, ...TEST_KEY_ENV_VARS };
    closedAddress = `127.0.0.1:${await freePort()}`;
  });

  after(async () => {
    if (worker && worker.child.exitCode === null) {
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
    await server?.stop();
    await sandbox?.stop();
  });

  it('a worker polls and the CLI enrols and reads status through it, with the certificates from the environment', async () => {
    const metricsPort = await freePort();
    worker = startNode(['--import', 'tsx', 'src/worker.ts'], {
      ...base,
      ...clientTlsEnv(certs),
      PLUM_BASE_URL: sandbox.url,
      PLUM_CREDENTIALS_FILE: credentialsFileFor(seeded),
      PLUM_METRICS_PORT: String(metricsPort),
      PLUM_METRICS_HOST: '127.0.0.1',
    });
    await waitFor(
      'the worker to poll over TLS',
      async () => (await fetch(`http://127.0.0.1:${metricsPort}/readyz`).catch(() => undefined))?.ok === true,
      120_000,
    );
    const cli = (...args: string[]) => startNode(['bin/plum-keeper.js', ...args], { ...base, ...clientTlsEnv(certs) });
    const enrol = await finished(cli('enrol', seeded.companyId, '--tokens-file', '-'), JSON.stringify(seeded.tokens));
    assert.equal(enrol.code, 0, enrol.err);
    assert.match(enrol.out, new RegExp(`Enrolled ${seeded.companyId}: ACTIVE`));
    const status = await finished(cli('--json', 'status', seeded.companyId));
    assert.equal(status.code, 0, status.err);
    assert.equal((JSON.parse(status.out) as { status: string }).status, 'ACTIVE');
    const doctor = await finished(cli('--json', 'doctor'));
    const temporal = (JSON.parse(doctor.out) as { name: string; outcome: string }[]).find((c) => c.name === 'Temporal');
    assert.equal(temporal?.outcome, 'ok');
  });

  const broken: { name: string; env: () => Record<string, string>; problem: RegExp; setting: RegExp }[] = [
    {
      name: 'a CA that did not sign the server’s certificate',
      env: () => ({ ...clientTlsEnv(certs), TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.otherCaCert }),
      problem:
        /the server’s certificate \(CN=localhost, issued by CN=plum-test-ca\) is not signed by a CA this process trusts/,
      setting: /set TEMPORAL_TLS_SERVER_CA_CERT_PATH to the CA that signed it/,
    },
    {
      name: 'no client certificate',
      env: () => {
        const { TEMPORAL_TLS_SERVER_CA_CERT_PATH, TEMPORAL_TLS_SERVER_NAME } = clientTlsEnv(certs);
        return {
          TEMPORAL_TLS_SERVER_CA_CERT_PATH: TEMPORAL_TLS_SERVER_CA_CERT_PATH!,
          TEMPORAL_TLS_SERVER_NAME: TEMPORAL_TLS_SERVER_NAME!,
        };
      },
      problem: /the server requires a client certificate and none is configured/,
      setting: /set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH/,
    },
    {
      name: 'no TLS at all',
      env: () => ({}),
      problem: /speaks TLS, and no TLS is configured/,
      setting: /set TEMPORAL_TLS=true/,
    },
    {
      name: 'a client certificate the server’s CA did not sign',
      env: () => ({
        ...clientTlsEnv(certs),
        TEMPORAL_TLS_CLIENT_CERT_PATH: certs.otherCaCert,
        TEMPORAL_TLS_CLIENT_KEY_PATH: certs.otherCaCert.replace(/\.pem$/, '.key'),
      }),
      problem: /the server refused the client certificate \(ERR_SSL_TLSV1_ALERT_UNKNOWN_CA\)/,
      setting: /set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH to a certificate from that CA/,
    },
    {
      name: 'an address where nothing listens',
      env: () => ({ ...clientTlsEnv(certs), TEMPORAL_ADDRESS: closedAddress }),
      problem: /nothing accepts connections at 127\.0\.0\.1:\d+ \(ECONNREFUSED\)/,
      setting: /check TEMPORAL_ADDRESS/,
    },
    {
      name: 'a server name the certificate does not carry',
      env: () => ({ ...clientTlsEnv(certs), TEMPORAL_TLS_SERVER_NAME: 'temporal.example' }),
      problem: /the server’s certificate is for DNS:localhost, IP Address:127\.0\.0\.1, not temporal\.example/,
      setting: /set TEMPORAL_TLS_SERVER_NAME/,
    },
  ];

  for (const { name, env, problem, setting } of broken) {
    it(`${name}: the worker and the CLI each say so in one line, with the setting that fixes it`, async () => {
      const started = await finished(
        startNode(['--import', 'tsx', 'src/worker.ts'], {
          ...base,
          ...env(),
          PLUM_BASE_URL: sandbox.url,
          PLUM_CREDENTIALS_FILE: credentialsFileFor(seeded),
        }),
      );
      assert.equal(started.code, 1);
      const line = started.err.split('\n').find((l) => l.startsWith('plum-token-keeper: cannot connect to Temporal'));
      assert.ok(line, started.err);
      assert.match(line, problem);
      assert.match(line, setting);
      assert.doesNotMatch(started.err, /tonic::transport|BEGIN/);

      const listed = await finished(startNode(['bin/plum-keeper.js', 'list'], { ...base, ...env() }));
      assert.equal(listed.code, 1);
      assert.match(listed.err, new RegExp(`^plum-keeper: Temporal is unavailable: .*${problem.source}`, 'm'));
      assert.match(listed.err, new RegExp(`next: ${setting.source}`));
      const setup = await finished(startNode(['bin/plum-keeper.js', 'setup-namespace'], { ...base, ...env() }));
      assert.equal(setup.code, 1);
      assert.match(setup.err, new RegExp(`^plum-keeper: Temporal is unavailable: .*${problem.source}`, 'm'));
    });
  }

  it('a TLS file that is missing is named by its variable before anything connects', async () => {
    const run = await finished(
      startNode(['bin/plum-keeper.js', 'list'], {
        ...base,
        ...clientTlsEnv(certs),
        TEMPORAL_TLS_CLIENT_CERT_PATH: join(certs.dir, 'missing.pem'),
      }),
    );
    assert.equal(run.code, 2);
    assert.match(run.err, /TEMPORAL_TLS_CLIENT_CERT_PATH: .*missing\.pem does not exist/);
  });
});
