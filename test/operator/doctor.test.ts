import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import type { Check } from '../../src/cli/doctor';
import { PLUM_SEARCH_ATTRIBUTE_TYPES } from '../../src/contract';
import { freePort } from '../../src/dev-server/dev-server';
import { TEST_KEY_ENV_VARS } from '../helpers/codec';
import { testCliPath } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';
import { startNode } from '../helpers/child';

async function doctor(env: Record<string, string>): Promise<{ code: number | null; checks: Check[]; stderr: string }> {
  const run = startNode(['bin/plum-keeper.js', '--json', 'doctor'], env);
  run.child.stdin.end();
  const code = await run.exited;
  return { code, checks: JSON.parse(run.stdout()) as Check[], stderr: run.stderr() };
}

const problems = (checks: Check[]) => checks.filter((c) => c.outcome === 'problem');

describe('plum-keeper doctor names each problem of a misconfigured deployment', () => {
  let server: ChildProcess;
  let address: string;

  before(async () => {
    // A bare dev server, as a new operator might run one: no search attributes, Temporal's default update limit.
    const port = await freePort();
    address = `127.0.0.1:${port}`;
    server = spawn(
      await testCliPath(),
      ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'error'],
      { stdio: 'ignore' },
    );
    await waitFor(
      'the bare server',
      async () => {
        const connection = await Connection.connect({ address, connectTimeout: 1000 });
        await connection.close();
        return true;
      },
      60_000,
    );
  });

  after(async () => {
    if (server.exitCode === null) {
      server.kill('SIGTERM');
      await once(server, 'exit');
    }
  });

  it('bad variables: each named, and nothing else is tried', async () => {
    const run = await doctor({ TEMPORAL_ADDRESS: 'no port', PLUM_LEAD_FRACTION: '2', ...TEST_KEY_ENV_VARS });
    assert.equal(run.code, 1);
    const found = problems(run.checks).map((c) => c.detail);
    assert.ok(
      found.some((d) => /^TEMPORAL_ADDRESS: must be host:port/.test(d)),
      found.join('; '),
    );
    assert.ok(
      found.some((d) => /^PLUM_LEAD_FRACTION: must be at most 0\.9/.test(d)),
      found.join('; '),
    );
    assert.ok(run.checks.every((c) => c.name === 'configuration'));
  });

  it('a server without search attributes or raised update limit, no worker, Plum unreachable', async () => {
    const closedPort = await freePort();
    const run = await doctor({
      TEMPORAL_ADDRESS: address,
      ...TEST_KEY_ENV_VARS,
      PLUM_BASE_URL: `http://127.0.0.1:${closedPort}/chef`,
      PLUM_CLIENT_ID: 'id',
      PLUM_CLIENT_SECRET: 'secret',
    });
    assert.equal(run.code, 1, run.stderr);
    const byName = Object.fromEntries(run.checks.map((c) => [c.name, c]));
    assert.equal(byName.configuration?.outcome, 'ok');
    assert.equal(byName.Temporal?.outcome, 'ok');
    assert.equal(byName.Plum?.outcome, 'problem');
    assert.match(byName.Plum!.detail, new RegExp(`127\\.0\\.0\\.1:${closedPort} is unreachable \\(ECONNREFUSED\\)`));
    assert.equal(byName['search attributes']?.outcome, 'problem');
    assert.match(byName['search attributes']!.fix!, /^npx plum-keeper setup-namespace /);
    for (const [name, type] of Object.entries(PLUM_SEARCH_ATTRIBUTE_TYPES)) {
      assert.match(byName['search attributes']!.fix!, new RegExp(`--name ${name} --type ${type}`));
    }
    assert.equal(byName['in-flight updates']?.outcome, 'problem');
    assert.match(byName['in-flight updates']!.fix!, /history\.maxInFlightUpdates/);
    assert.equal(byName.workers?.outcome, 'problem');
    assert.match(byName.workers!.detail, /no worker polls plum-tokens/);
  });

  it('setup-namespace registers the namespace and the search attributes, changes nothing when run again, and refuses an attribute of another type', async () => {
    const setup = async (namespace: string, ...args: string[]) => {
      const run = startNode(['bin/plum-keeper.js', 'setup-namespace', ...args], {
        TEMPORAL_ADDRESS: address,
        TEMPORAL_NAMESPACE: namespace,
        ...TEST_KEY_ENV_VARS,
      });
      run.child.stdin.end();
      return { code: await run.exited, stdout: run.stdout(), stderr: run.stderr() };
    };
    const bad = await setup('plum-setup', '--retention', '2h');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--retention.*from 24h/);

    const first = await setup('plum-setup', '--retention', '30d');
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /Namespace plum-setup: registered\./);
    assert.match(first.stdout, /added PlumCompanyId, PlumTokenStatus, PlumAccessTokenExpiresAt, PlumNextRefreshAt/);
    const again = await setup('plum-setup');
    assert.equal(again.code, 0, again.stderr);
    assert.match(
      again.stdout,
      /Namespace plum-setup: already registered\.\nSearch attributes: none missing; already there:/,
    );
    const doctorRun = await doctor({
      TEMPORAL_ADDRESS: address,
      TEMPORAL_NAMESPACE: 'plum-setup',
      ...TEST_KEY_ENV_VARS,
    });
    assert.equal(doctorRun.checks.find((c) => c.name === 'search attributes')?.outcome, 'ok');

    const connection = await Connection.connect({ address });
    try {
      const namespaces = connection.workflowService;
      await namespaces.registerNamespace({
        namespace: 'plum-conflict',
        workflowExecutionRetentionPeriod: msToTs('1 day'),
      });
      await waitFor('plum-conflict in the namespace cache', async () =>
        connection.operatorService.listSearchAttributes({ namespace: 'plum-conflict' }).then(
          () => true,
          () => false,
        ),
      );
      await connection.operatorService.addSearchAttributes({
        namespace: 'plum-conflict',
        searchAttributes: { PlumTokenStatus: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_TEXT },
      });
    } finally {
      await connection.close();
    }
    const conflict = await setup('plum-conflict');
    assert.equal(conflict.code, 1);
    assert.match(conflict.stderr, /namespace plum-conflict holds PlumTokenStatus as Text \(the keeper needs Keyword\)/);
  });

  it('deletes the probe a killed doctor left behind, and leaves a running doctor’s probe alone', async () => {
    const connection = await Connection.connect({ address });
    try {
      const client = new Client({ connection });
      // What a doctor killed mid-probe leaves: a probe workflow no worker polls, ended by its timeout.
      const left = await client.workflow.start('plumDoctorProbe', {
        taskQueue: 'plum-doctor-killed',
        workflowId: `plum-doctor-probe-left-${process.pid}`,
        workflowExecutionTimeout: '1 second',
      });
      await waitFor('the left probe to time out', async () => (await left.describe()).status.name === 'TIMED_OUT');
      // The doctor finds probes through visibility, which follows the run's own state with a lag on a loaded machine.
      await waitFor(
        'visibility to list the left probe as timed out',
        async () =>
          (await client.workflow.count(`WorkflowId = '${left.workflowId}' AND ExecutionStatus = 'TimedOut'`)).count ===
          1,
        60_000,
      );
      const running = await client.workflow.start('plumDoctorProbe', {
        taskQueue: 'plum-doctor-running',
        workflowId: `plum-doctor-probe-running-${process.pid}`,
        // Outlives the wait below on a loaded machine (a CI run waited more than a minute for the deletion).
        workflowExecutionTimeout: '10 minutes',
      });
      const run = await doctor({ TEMPORAL_ADDRESS: address, ...TEST_KEY_ENV_VARS });
      const check = run.checks.find((c) => c.name === 'in-flight updates');
      assert.match(check?.detail ?? '', /deleted \d+ probe\(s\) an earlier doctor left behind/, run.stderr);
      // The server deletes asynchronously (about 20 s for a timed-out run on the dev server, measured).
      await waitFor(
        'the left probe to be deleted',
        () =>
          left.describe().then(
            () => false,
            (error: unknown) => error instanceof WorkflowNotFoundError,
          ),
        90_000,
      );
      assert.equal((await running.describe()).status.name, 'RUNNING', 'a younger probe is another doctor’s');
      await running.terminate('test done');
    } finally {
      await connection.close();
    }
  });
});
