import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { freePort } from '../src/dev-server/dev-server';
import { createDataConverter } from '../src/codec/data-converter';
import { loadOrCreateLocalKeyRing } from '../src/codec/local-key';
import { statusQuery, workflowIdFor } from '../src/contract';
import { startMainJob } from './helpers/main-job';
import { testCliPath } from './helpers/temporal';
import { waitFor } from './helpers/wait';

describe('the main job (npm start) in embedded mode', () => {
  it('comes up with the dev server and sandbox, rotates the demo company, and stops cleanly on SIGINT', async () => {
    const [port, uiPort, codecPort, metricsPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const dataDir = mkdtempSync(join(tmpdir(), 'plum-main-'));
    const job = startMainJob({
      TEMPORAL_CLI_PATH: await testCliPath(),
      PLUM_DATA_DIR: dataDir,
      PLUM_EMBEDDED_TEMPORAL_PORT: String(port),
      TEMPORAL_UI_PORT: String(uiPort),
      PLUM_DEMO_TOKEN_LIFETIME_MS: '20000',
      PLUM_CODEC_SERVER_PORT: String(codecPort),
      PLUM_METRICS_PORT: String(metricsPort),
    });
    let code: number | null;
    try {
      await waitFor('the banner', () => job.stdout().includes('plum-token-keeper is running'), 90_000);
      const stdout = job.stdout();
      assert.match(stdout, /EMBEDDED dev server/);
      assert.match(stdout, /LOCAL SANDBOX, NOT THE REAL PLUM/);
      assert.match(stdout, new RegExp(`UI +: http://localhost:${uiPort}/`));
      assert.match(
        stdout,
        /temporal workflow query --address 127\.0\.0\.1:\d+ --workflow-id plum-company:demo-company --type status/,
      );

      assert.match(stdout, /Codec +: http:\/\/127\.0\.0\.1:\d+ \(payloads are AES-256-GCM encrypted/);
      // Issue 22, defect 14: the banner said "Demo: enrolled" before enrolment ran; it says when, and a line follows.
      assert.doesNotMatch(stdout, /Demo\s*:\s*enrolled/);
      const enrolledLine = await waitFor('the enrolment line', () => {
        const at = job.stdout().indexOf('demo company "demo-company" enrolled');
        return at >= 0 ? at : undefined;
      });
      assert.ok(enrolledLine > stdout.indexOf('plum-token-keeper is running'), 'enrolment is said after the banner');
      const settings = await waitFor('the UI settings', async () =>
        (await fetch(`http://127.0.0.1:${uiPort}/api/v1/settings`)).text(),
      );
      assert.match(
        settings,
        new RegExp(`http://127\\.0\\.0\\.1:${codecPort}`),
        'the UI decodes through the codec server',
      );
      const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
      try {
        const { keyRing } = loadOrCreateLocalKeyRing(dataDir);
        const dataConverter = createDataConverter(keyRing);
        const handle = new Client({ connection, dataConverter }).workflow.getHandle(workflowIdFor('demo-company'));
        const status = await waitFor(
          'the demo company to rotate',
          async () => {
            const s = await handle.query(statusQuery);
            return s.upstreamRefreshes >= 1 && s.status === 'ACTIVE' ? s : undefined;
          },
          120_000,
        );
        assert.ok(status.generation >= 1);
        assert.match(stdout, new RegExp(`Metrics +: http://127\\.0\\.0\\.1:${metricsPort}/metrics`));
        const metrics = await waitFor('the rotation counted', async () => {
          const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
          return /^plum_keeper_rotations_total\{/m.test(text) ? text : undefined;
        });
        assert.match(metrics, /^temporal_worker_task_slots_available\{/m, 'the SDK’s own metrics');
      } finally {
        await connection.close();
      }
    } finally {
      code = await job.stop('SIGINT');
    }
    assert.equal(code, 0, job.stderr());
    assert.match(job.stdout(), /stopped/);
    assert.doesNotMatch(job.stdout() + job.stderr(), /sbx_(at|rt)_/, 'a token was printed');
  });
});
