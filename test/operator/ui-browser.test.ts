import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { TokenKeeperClient } from '../../src/client';
import { connectTemporalClient } from '../../src/client/temporal-client';
import { loadLocalKeyRing } from '../../src/codec/local-key';
import { RemoteSandbox } from '../../src/sandbox/remote-sandbox';
import { freePort } from '../../src/dev-server/dev-server';
import type { MainJob } from '../helpers/main-job';
import { startMainJob } from '../helpers/main-job';
import { testCliPath } from '../helpers/temporal';
import { waitFor } from '../helpers/wait';
import { CHROMIUM, NO_CHROMIUM, SCREENSHOT_DIR } from '../helpers/browser';

/** The columns an operator adds once through the list's "Configure Columns" (the UI keeps them in localStorage). */
const OPERATOR_COLUMNS = {
  default: [
    { label: 'Status', pinned: true },
    { label: 'Workflow ID', pinned: true },
    { label: 'PlumTokenStatus', pinned: false },
    { label: 'PlumAccessTokenExpiresAt', pinned: false },
    { label: 'PlumNextRefreshAt', pinned: false },
  ],
};

/** The text of the frame that shows the keeper's current details, or undefined before it renders. */
async function framesText(page: Page): Promise<string | undefined> {
  const texts = await Promise.all(page.frames().map((frame) => frame.textContent('body').catch(() => '')));
  return texts.find((text) => text?.includes('Access token expires')) ?? undefined;
}

describe(
  'the Temporal UI as the operator’s console, in a real browser (Debian chromium, headless)',
  { skip: NO_CHROMIUM },
  () => {
    let job: MainJob;
    let browser: Browser;
    let page: Page;
    let uiUrl: string;
    let keeper: TokenKeeperClient;
    const broken = 'acme-needs-reauth';

    before(async () => {
      const [port, uiPort, codecPort] = [await freePort(), await freePort(), await freePort()];
      const dataDir = mkdtempSync(join(tmpdir(), 'plum-ui-'));
      const credentialsFile = join(dataDir, 'credentials.json');
      // The worker checks the file at start; the company it names is seeded below.
      writeFileSync(credentialsFile, '{}\n');
      job = startMainJob({
        TEMPORAL_CLI_PATH: await testCliPath(),
        PLUM_DATA_DIR: dataDir,
        PLUM_EMBEDDED_TEMPORAL_PORT: String(port),
        TEMPORAL_UI_PORT: String(uiPort),
        PLUM_CODEC_SERVER_PORT: String(codecPort),
        PLUM_METRICS_PORT: '0',
        PLUM_DEMO_TOKEN_LIFETIME_MS: '60000',
        PLUM_CREDENTIALS_FILE: credentialsFile,
      });
      await waitFor('the banner', () => job.stdout().includes('plum-token-keeper is running'), 120_000);
      uiUrl = `http://localhost:${uiPort}`;
      const plumUrl = /Plum +: (\S+)/.exec(job.stdout())?.[1];
      assert.ok(plumUrl, job.stdout());

      // A second company seeded into the embedded sandbox, its credentials in PLUM_CREDENTIALS_FILE, then revoked.
      const sandbox = new RemoteSandbox(plumUrl);
      const seeded = await sandbox.seedCompany({ companyId: broken });
      writeFileSync(
        credentialsFile,
        JSON.stringify({ [broken]: { client_id: seeded.clientId, client_secret: seeded.clientSecret } }),
      );
      const client = await connectTemporalClient({
        connectionOptions: { address: `127.0.0.1:${port}` },
        namespace: 'default',
        keyRing: loadLocalKeyRing(dataDir)!,
        tokenKeyRing: loadLocalKeyRing(dataDir, 'token-keys')!,
      });
      keeper = new TokenKeeperClient({ client });
      await keeper.enrol(broken, seeded.tokens);
      await keeper.refreshNow(broken, 'ui test: one rotation with credentials from PLUM_CREDENTIALS_FILE');
      await sandbox.killTokens(broken, 'tokens_regenerated');
      await keeper.refreshNow(broken, 'ui test: revoked').catch(() => undefined);
      await waitFor(
        'the visibility store to catch up',
        async () => (await keeper.list({ status: 'NEEDS_REAUTH' })).length === 1,
      );

      // A keeper started under the wrong workflow id fails at once; its failure must read decoded in the UI.
      await client.workflow.start('companyTokenWorkflow', {
        taskQueue: 'plum-tokens',
        workflowId: 'plum-company:started-by-hand',
        args: [{ companyId: 'someone-else' }],
      });
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
      page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.addInitScript((columns) => {
        const { localStorage } = globalThis as unknown as { localStorage: { setItem(k: string, v: string): void } };
        localStorage.setItem('namespace-workflow-table-columns', JSON.stringify(columns));
      }, OPERATOR_COLUMNS);
      mkdirSync(SCREENSHOT_DIR, { recursive: true });
    });

    after(async () => {
      await browser?.close();
      await keeper?.close();
      const code = await job?.stop('SIGINT');
      assert.equal(code, 0, job?.stderr());
    });

    it('the workflow list shows each company’s token status as a column', async () => {
      await page.goto(`${uiUrl}/namespaces/default/workflows`);
      const table = page.locator('table');
      await table.getByText('PlumTokenStatus').waitFor({ timeout: 30_000 });
      const row = (id: string) => page.locator('tr', { hasText: `plum-company:${id}` });
      await row(broken).getByText('NEEDS_REAUTH').waitFor({ timeout: 30_000 });
      await row('demo-company').getByText('ACTIVE').waitFor({ timeout: 30_000 });
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'ui-workflow-list.png') });
    });

    it('a company’s page shows its summary and decoded current details', async () => {
      await page.goto(`${uiUrl}/namespaces/default/workflows/plum-company:${broken}`);
      await page.getByText(`Plum token keeper of company ${broken}`).first().waitFor({ timeout: 30_000 });
      await page.getByText('User Metadata').first().click();
      // The UI renders markdown (the current details) inside frames of its own.
      const details = await waitFor('the decoded current details', () => framesText(page), 30_000);
      assert.match(details, /Status:\s*NEEDS_REAUTH \(TOKEN_KILLED\)/);
      assert.match(details, /Last error:\s*Plum refresh: rejected with TOKEN_KILLED/);
      assert.match(details, /Last rotation asked for:.*\(ui test: revoked\)/);
      await page.getByText('refresh: rotation 1').first().waitFor({ timeout: 10_000 });
      await page
        .getByText(/sleep until refresh at \d{4}-/)
        .first()
        .waitFor({ timeout: 10_000 });
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'ui-current-details.png'), fullPage: true });
      const text = (await page.textContent('body')) ?? '';
      assert.doesNotMatch(text, /sbx_(at|rt)_/, 'no token on the page');
    });

    it('a failed keeper’s page shows its failure decoded through the codec server', async () => {
      await page.goto(`${uiUrl}/namespaces/default/workflows/plum-company:started-by-hand`);
      // The result pane is a code viewer whose text is split into spans: read the page's rendered text instead.
      const text = await waitFor(
        'the decoded failure message',
        async () => {
          const body = await page.innerText('body');
          return body.includes('does not match company someone-else') ? body : undefined;
        },
        30_000,
      );
      assert.match(text, /encodedAttributes/, 'the failure is the one the codec server decoded');
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'ui-failed-keeper.png') });
    });

    it('a company’s page shows its search attributes', async () => {
      await page.goto(`${uiUrl}/namespaces/default/workflows/plum-company:${broken}`);
      await page.getByText('Search Attributes').first().click();
      await page.getByText('PlumTokenStatus').first().waitFor({ timeout: 30_000 });
      await page.getByText('NEEDS_REAUTH').first().waitFor({ timeout: 10_000 });
      await page.getByText('PlumCompanyId').first().waitFor({ timeout: 10_000 });
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'ui-search-attributes.png'), fullPage: true });
    });
  },
);
