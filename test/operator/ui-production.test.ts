// Issue 23: the Temporal UI in production. Operators sign in through OIDC (the real Temporal UI server with auth on,
// against a local provider); the UI passes the signed-in user's access token to the codec server (https only), which
// verifies it against the provider's JWKS and decodes the keeper's details. No static token is in the browser.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { uiServerBinary } from '../../scripts/cluster/temporal-server';
import { TASK_QUEUE } from '../../src/contract';
import { freePort } from '../../src/dev-server/dev-server';
import { CHROMIUM, NO_CHROMIUM, SCREENSHOT_DIR } from '../helpers/browser';
import type { Child } from '../helpers/child';
import { startNode } from '../helpers/child';
import { TEST_KEYS_ENV } from '../helpers/codec';
import type { KeeperEnv } from '../helpers/keeper-env';
import { enrolSandboxCompany, startKeeperEnv, withWorker } from '../helpers/keeper-env';
import { LocalOidcIssuer } from '../helpers/oidc-issuer';
import { waitFor } from '../helpers/wait';

const LOGIN = {
  clientId: 'temporal-ui',
  clientSecret: 'ui-client-secret',
  accessTokenAudience: 'plum-codec',
  user: { email: 'on-call@example.com', name: 'On Call' },
};

/** The text of the frame that shows the keeper's current details, or undefined before it renders. */
async function detailsText(page: Page): Promise<string | undefined> {
  const texts = await Promise.all(page.frames().map((frame) => frame.textContent('body').catch(() => '')));
  return texts.find((text) => text?.includes('Access token expires')) ?? undefined;
}

function selfSignedCertificate(dir: string): { cert: string; key: string } {
  const [cert, key] = [join(dir, 'codec.crt'), join(dir, 'codec.key')];
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert,
  ], { stdio: 'ignore' }); // prettier-ignore
  return { cert, key };
}

describe(
  'the Temporal UI in production mode: OIDC sign-in, access token passed to the codec server',
  { skip: NO_CHROMIUM },
  () => {
    let env: KeeperEnv;
    let issuer: LocalOidcIssuer;
    let codec: Child;
    let ui: ChildProcess;
    let uiOutput = '';
    let browser: Browser;
    let uiUrl: string;
    let codecOrigin: string;
    let companyId: string;
    let stopWorker: () => void;
    let workerDone: Promise<unknown>;

    before(async () => {
      env = await startKeeperEnv({ accessLifetimeMs: 600_000, refreshLifetimeMs: 1_200_000 });
      issuer = await LocalOidcIssuer.start(LOGIN);
      const dir = mkdtempSync(join(tmpdir(), 'plum-ui-prod-'));
      const [uiPort, codecPort] = [await freePort(), await freePort()];
      uiUrl = `http://localhost:${uiPort}`;
      codecOrigin = `https://127.0.0.1:${codecPort}`;

      // The codec server as production runs it: its own process, configured from the environment.
      const tls = selfSignedCertificate(dir);
      codec = startNode(['--import', 'tsx', 'src/main/codec-server.ts'], {
        TEMPORAL_ADDRESS: env.server.address,
        PLUM_CODEC_KEYS: TEST_KEYS_ENV,
        PLUM_CODEC_SERVER_PORT: String(codecPort),
        PLUM_CODEC_SERVER_TOKEN: 'cli-static-token',
        PLUM_CODEC_OIDC_ISSUER: issuer.issuer,
        PLUM_CODEC_OIDC_AUDIENCE: LOGIN.accessTokenAudience,
        PLUM_CODEC_SERVER_TLS_CERT_FILE: tls.cert,
        PLUM_CODEC_SERVER_TLS_KEY_FILE: tls.key,
        PLUM_CODEC_CORS_ORIGINS: uiUrl,
      });
      await waitFor('the codec server', () => codec.stdout().includes('Codec server at https://'), 30_000);

      // The real Temporal UI server, with sign-in through the local provider and the codec endpoint passing tokens.
      writeFileSync(
        join(dir, 'production.yaml'),
        [
          `temporalGrpcAddress: ${env.server.address}`,
          'host: 127.0.0.1',
          `port: ${uiPort}`,
          'enableUi: true',
          'defaultNamespace: default',
          'cors:',
          '  cookieInsecure: true',
          `  allowOrigins: ["${uiUrl}"]`,
          'auth:',
          '  enabled: true',
          '  providers:',
          '    - label: local test provider',
          '      type: oidc',
          `      providerUrl: ${issuer.issuer}`,
          `      clientId: ${LOGIN.clientId}`,
          `      clientSecret: ${LOGIN.clientSecret}`,
          '      scopes: [openid, profile, email]',
          `      callbackUrl: ${uiUrl}/auth/sso/callback`,
          'codec:',
          `  endpoint: ${codecOrigin}`,
          '  passAccessToken: true',
          '',
        ].join('\n'),
      );
      ui = spawn(
        uiServerBinary(() => undefined),
        ['--root', dir, '--config', '.', '--env', 'production', 'start'],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      const keepUiOutput = (chunk: Buffer) => (uiOutput = (uiOutput + chunk.toString()).slice(-4000));
      ui.stdout?.on('data', keepUiOutput);
      ui.stderr?.on('data', keepUiOutput);
      // Its own banner, not just any answer on the port: another test may have taken a free port in between.
      await waitFor('the UI server', () => uiOutput.includes(`:${uiPort}`) || ui.exitCode !== null, 60_000);
      assert.equal(ui.exitCode, null, `the UI server exited: ${uiOutput}`);
      await waitFor(
        'the UI server to answer',
        () =>
          fetch(uiUrl).then(
            (r) => r.status < 500,
            () => false,
          ),
        60_000,
      );

      // A keeper with decoded details to show, its worker running for the whole suite.
      let release!: () => void;
      const stopped = new Promise<void>((resolve) => (release = resolve));
      stopWorker = release;
      let enrolled!: (id: string) => void;
      const ready = new Promise<string>((resolve) => (enrolled = resolve));
      workerDone = withWorker(
        env,
        async (taskQueue) => {
          enrolled((await enrolSandboxCompany(env, taskQueue)).companyId);
          await stopped;
        },
        { taskQueue: TASK_QUEUE },
      );
      companyId = await ready;
      // The UI's browser trusts the codec server's self-signed certificate as an operator's browser trusts their CA's.
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--no-sandbox', '--ignore-certificate-errors'],
      });
      mkdirSync(SCREENSHOT_DIR, { recursive: true });
    });

    after(async () => {
      await browser?.close();
      stopWorker?.();
      await workerDone;
      if (ui && ui.exitCode === null) {
        ui.kill('SIGTERM');
        await once(ui, 'exit');
      }
      codec?.child.kill('SIGTERM');
      await codec?.exited;
      await issuer?.stop();
      await env?.stop();
    });

    it('signs in through OIDC and shows a keeper’s details decoded with the user’s access token', async () => {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      const codecCalls: { authorization: string | undefined; status: number }[] = [];
      const uiApiAnswers: string[] = [];
      page.on('response', (response) => {
        const url = new URL(response.url());
        if (url.origin === uiUrl && url.pathname.startsWith('/api/'))
          uiApiAnswers.push(`${response.status()} ${url.pathname}`);
        if (url.origin !== codecOrigin || !url.pathname.endsWith('/decode') || response.request().method() !== 'POST')
          return;
        codecCalls.push({ authorization: response.request().headers().authorization, status: response.status() });
      });
      // What a failure report needs: where the browser is, what the UI's API and the codec server answered, what the
      // UI server said.
      const diagnosis = async () => {
        const text = ((await page.textContent('body').catch(() => '')) ?? '').replace(/\s+/g, ' ').slice(0, 600);
        await page.screenshot({ path: join(SCREENSHOT_DIR, 'ui-production-failure.png'), fullPage: true });
        return [
          `at ${page.url()}`,
          `UI API answers ${JSON.stringify(uiApiAnswers.slice(-20))}`,
          `codec answers ${JSON.stringify(codecCalls.map((c) => c.status))}`,
          `page: ${text}`,
          `UI server: ${uiOutput.slice(-1500)}`,
        ].join('; ');
      };

      // Sign in as an operator does: the UI sends the signed-out browser to its login page, the provider signs the one
      // user in at once, and the UI lands on its workflow list. The test waits for that list before opening the
      // keeper: v2.42.1 takes the session from its sign-in cookie while the first page after the provider loads, and
      // a deep page loads its own data alongside, so a keeper's page opened before the list can be answered 401 and
      // sent back to login (seen in CI and here).
      await page.goto(uiUrl);
      await page.getByText('Continue to SSO').click({ timeout: 30_000 });
      await page
        .waitForURL((url) => url.origin === uiUrl && url.pathname === '/namespaces/default/workflows', {
          timeout: 30_000,
        })
        .catch(async (error: unknown) => {
          throw new Error(`sign-in did not reach the workflow list: ${await diagnosis()}`, { cause: error });
        });
      await page.goto(`${uiUrl}/namespaces/default/workflows/plum-company:${companyId}`);
      // One wait, no reload: what once looked like a slow first render was the UI sending the browser back to login.
      await page
        .getByText(`Plum token keeper of company ${companyId}`)
        .first()
        .waitFor({ timeout: 60_000 })
        .catch(async (error: unknown) => {
          throw new Error(`the keeper's summary did not show: ${await diagnosis()}`, { cause: error });
        });
      await page.getByText('User Metadata').first().click();
      const details = await waitFor('the decoded current details', () => detailsText(page), 30_000);
      assert.match(details, /Status:\s*ACTIVE/);
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'ui-production-oidc.png'), fullPage: true });

      // Every decode carried the signed-in user's OIDC access token (never the CLI's static token) and was accepted.
      assert.ok(codecCalls.length > 0, 'the UI called the codec server');
      for (const call of codecCalls) {
        assert.match(call.authorization ?? '', /^Bearer eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
        assert.doesNotMatch(call.authorization ?? '', /cli-static-token/);
        assert.equal(call.status, 200);
      }
      const payload = JSON.parse(Buffer.from(codecCalls[0]!.authorization!.split('.')[1]!, 'base64url').toString()) as {
        aud: string;
        iss: string;
        email: string;
      };
      assert.deepEqual(
        [payload.aud, payload.iss, payload.email],
        [LOGIN.accessTokenAudience, issuer.issuer, LOGIN.user.email],
      );
      assert.doesNotMatch((await page.textContent('body')) ?? '', /sbx_(at|rt)_/, 'no token on the page');
      await page.close();
    });
  },
);
