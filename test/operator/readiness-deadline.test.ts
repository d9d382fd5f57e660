// Issue 22, defect 12: `/readyz` took 19–21 s to answer while Temporal was down (the SDK retried), past the Docker
// health check's 3 s. The readiness check now asks under one deadline; how fast it answers is the bench's to time.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { checkReadiness } from '../../src/monitoring/readiness';

describe('/readyz while Temporal is down', () => {
  it('gives up at its deadline instead of waiting out the SDK’s retries', async () => {
    const listener = createServer();
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const { port } = listener.address() as { port: number };
    await new Promise<void>((resolve) => listener.close(() => resolve()));
    const client = new Client({ connection: Connection.lazy({ address: `127.0.0.1:${port}` }) });
    const readiness = await checkReadiness({
      client,
      namespace: 'default',
      taskQueue: 'plum-tokens',
      identity: 'worker',
      workerState: () => 'RUNNING',
    });
    assert.equal(readiness.ready, false);
    assert.match(readiness.checks.temporal, /^unreachable: .*DEADLINE_EXCEEDED/);
  });
});
