import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { DevServer } from '../src/dev-server/dev-server';
import { PLUM_SEARCH_ATTRIBUTE_TYPES } from '../src/contract';
import { startTestServer, testCliPath } from './helpers/temporal';
import { waitFor } from './helpers/wait';

function portOpen(address: string): Promise<boolean> {
  const [host, port] = address.split(':');
  return new Promise((resolve) => {
    const socket = connect(Number(port), host, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Children of a process, read from /proc (Linux). */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('the dev-server launcher', () => {
  let server: DevServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.stop());

  it('runs a trivial workflow on the real server, with the Plum search attributes registered', async () => {
    const connection = await NativeConnection.connect({ address: server.address });
    const taskQueue = `smoke-${Date.now()}`;
    const worker = await Worker.create({
      connection,
      namespace: server.namespace,
      taskQueue,
      workflowsPath: require.resolve('./fixtures/trivial-workflows'),
    });
    const client = new Client({ connection: await Connection.connect({ address: server.address }) });
    try {
      const result = await worker.runUntil(
        client.workflow.execute('greet', { taskQueue, workflowId: `greet-${Date.now()}`, args: [{ name: 'plum' }] }),
      );
      assert.equal(result, 'hello plum');
      const registered = await client.connection.operatorService.listSearchAttributes({ namespace: server.namespace });
      for (const name of Object.keys(PLUM_SEARCH_ATTRIBUTE_TYPES)) {
        assert.ok(name in (registered.customAttributes ?? {}), `${name} is not registered`);
      }
    } finally {
      await client.connection.close();
      await connection.close();
    }
  });
});

describe('the launcher leaves no process behind', () => {
  it('stop() ends the server process', async () => {
    const server = await startTestServer();
    const watchdog = server.watchdogPid;
    assert.ok(watchdog);
    const [temporal] = childrenOf(watchdog);
    assert.ok(temporal, 'the watchdog has a temporal child');
    await server.stop();
    await waitFor('the temporal process to exit', () => !alive(temporal));
    assert.equal(alive(watchdog), false);
    assert.equal(await portOpen(server.address), false);
  });

  it('a SIGKILLed parent takes its server down with it', async () => {
    const cliPath = await testCliPath();
    const script = `
      const { DevServer } = require('./src/dev-server/dev-server');
      DevServer.start({ cliPath: ${JSON.stringify(cliPath)} }).then((s) => {
        console.log(JSON.stringify({ address: s.address, watchdog: s.watchdogPid }));
      });
      setInterval(() => {}, 1000);
    `;
    const parent = spawn(process.execPath, ['--import', 'tsx', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    parent.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const info = await waitFor(
      'the child to report its server',
      () => {
        const line = out.split('\n').find((l) => l.startsWith('{'));
        return line ? (JSON.parse(line) as { address: string; watchdog: number }) : undefined;
      },
      60_000,
    );
    const [temporal] = childrenOf(info.watchdog);
    assert.ok(temporal, 'the server runs under its watchdog');
    assert.equal(await portOpen(info.address), true);
    parent.kill('SIGKILL');
    await waitFor('the temporal process to exit', () => !alive(temporal), 30_000);
    await waitFor('the watchdog to exit', () => !alive(info.watchdog), 30_000);
    assert.equal(await portOpen(info.address), false);
  });
});
