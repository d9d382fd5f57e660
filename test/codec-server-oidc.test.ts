// Issue 23: the Temporal UI in production authorises to the codec server with its logged-in user's OIDC access
// token (passAccessToken), verified against the issuer's JWKS; the CLI keeps its static bearer token.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AesGcmCodec } from '../src/codec/aes-gcm-codec';
import { CodecServer } from '../src/codec-server/server';
import { KeyRing } from '../src/codec/key-ring';
import { OidcVerifier } from '../src/codec-server/oidc-verifier';
import type { ConfigError } from '../src/config';
import { loadConfig } from '../src/config';
import { testKey } from './helpers/codec';
import { LocalOidcIssuer, signAccessToken, signingKey } from './helpers/oidc-issuer';

const AUDIENCE = 'plum-codec';
const UI_ORIGIN = 'https://temporal-ui.example.test';
const CLI_TOKEN = 'cli-bearer';
const EMPTY = JSON.stringify({ payloads: [] });

/** A self-signed certificate for 127.0.0.1, made with openssl as an operator would. */
function selfSignedCertificate(): { cert: Buffer; key: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'plum-codec-tls-'));
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
  ], { stdio: 'ignore' }); // prettier-ignore
  return { cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) };
}

/** POST over HTTPS trusting `ca`; answers the status and body. */
function post(url: string, ca: Buffer, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', ca, headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(EMPTY);
  });
}

describe('the codec server with OIDC access tokens (the Temporal UI’s passAccessToken), over HTTPS', () => {
  let issuer: LocalOidcIssuer;
  let server: CodecServer;
  let tls: { cert: Buffer; key: Buffer };

  before(async () => {
    issuer = await LocalOidcIssuer.start();
    tls = selfSignedCertificate();
    server = await CodecServer.start({
      codec: new AesGcmCodec(KeyRing.of({ a: testKey('a') }, 'a')),
      authToken: CLI_TOKEN,
      oidc: new OidcVerifier({ issuer: issuer.issuer, audience: AUDIENCE }),
      tls,
      allowedOrigins: [UI_ORIGIN],
    });
  });
  after(async () => {
    await server?.stop();
    await issuer?.stop();
  });

  const decode = (authorization?: string) =>
    post(`${server.url}/decode`, tls.cert, {
      origin: UI_ORIGIN,
      'x-namespace': 'default',
      ...(authorization && { authorization }),
    });

  it('serves https and decodes for a good token, found through the issuer’s discovery document', async () => {
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const answer = await decode(`Bearer ${await issuer.sign(AUDIENCE)}`);
    assert.equal(answer.status, 200, answer.body);
    assert.deepEqual(JSON.parse(answer.body), { payloads: [] });
    assert.equal(issuer.jwksRequests, 1);
  });

  it('refuses an expired, a wrongly signed and a wrong-audience token with 401 and a reason', async () => {
    const hourAgo = Math.floor(Date.now() / 1000) - 3600;
    const stranger = await signingKey(issuer.key.kid);
    const cases = [
      [await issuer.sign(AUDIENCE, { issuedAt: hourAgo, lifetimeSeconds: 600 }), /has expired/],
      [
        await signAccessToken(stranger, { iss: issuer.issuer, aud: AUDIENCE }),
        /not signed by a key of the configured issuer/,
      ],
      [await issuer.sign('another-api'), /"aud" claim is not the one this server accepts/],
      [await signAccessToken(issuer.key, { iss: 'https://evil.example', aud: AUDIENCE }), /"iss" claim/],
      ['not-a-jwt', /invalid|not the one/],
    ] as const;
    for (const [token, why] of cases) {
      const answer = await decode(`Bearer ${token}`);
      assert.equal(answer.status, 401, `${String(why)}: ${answer.body}`);
      assert.match((JSON.parse(answer.body) as { error: string }).error, why);
      assert.ok(!answer.body.includes(token), 'the token is not echoed');
    }
    assert.equal((await decode()).status, 401, 'no token at all');
  });

  it('still accepts the CLI’s static bearer token', async () => {
    assert.equal((await decode(`Bearer ${CLI_TOKEN}`)).status, 200);
  });

  it('answers CORS for the UI’s origin only', async () => {
    const preflight = (origin: string) =>
      new Promise<{ status: number; allow?: string }>((resolve, reject) => {
        const req = request(`${server.url}/decode`, { method: 'OPTIONS', ca: tls.cert, headers: { origin } }, (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, allow: res.headers['access-control-allow-origin'] as string });
        });
        req.on('error', reject);
        req.end();
      });
    assert.deepEqual(await preflight(UI_ORIGIN), { status: 204, allow: UI_ORIGIN });
    assert.equal((await preflight('https://elsewhere.example')).status, 403);
    const other = await post(`${server.url}/decode`, tls.cert, {
      origin: 'https://elsewhere.example',
      authorization: `Bearer ${await issuer.sign(AUDIENCE)}`,
    });
    assert.equal(other.status, 403);
  });

  it('refuses a discovery document that names another issuer, and keys fetched over plain http off loopback', async () => {
    // The same issuer reached under another name: its discovery document names 127.0.0.1, not localhost.
    const elsewhere = issuer.issuer.replace('127.0.0.1', 'localhost');
    assert.notEqual(elsewhere, issuer.issuer);
    const verifier = new OidcVerifier({ issuer: elsewhere, audience: AUDIENCE });
    await assert.rejects(verifier.verify(await issuer.sign(AUDIENCE)), /names another issuer/);
    const remote = new OidcVerifier({ issuer: 'http://idp.corp.example/realms/ops', audience: AUDIENCE });
    await assert.rejects(remote.verify(await issuer.sign(AUDIENCE)), /is not https/);
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig({ PLUM_CODEC_SERVER_HOST: '0.0.0.0', PLUM_CODEC_OIDC_AUDIENCE: AUDIENCE, ...env });
        return [];
      } catch (error) {
        return (error as ConfigError).problems.map((p) => p.variable);
      }
    };
    assert.deepEqual(problems({ PLUM_CODEC_OIDC_ISSUER: 'http://idp.corp.example/realms/ops' }), [
      'PLUM_CODEC_OIDC_ISSUER',
    ]);
    assert.deepEqual(
      problems({
        PLUM_CODEC_OIDC_ISSUER: 'https://idp.corp.example/realms/ops',
        PLUM_CODEC_OIDC_JWKS_URL: 'http://idp.corp.example/keys',
      }),
      ['PLUM_CODEC_OIDC_JWKS_URL'],
    );
    assert.deepEqual(problems({ PLUM_CODEC_OIDC_ISSUER: 'https://idp.corp.example/realms/ops' }), []);
    assert.deepEqual(problems({ PLUM_CODEC_OIDC_ISSUER: issuer.issuer }), [], 'a loopback test issuer may be http');
  });

  it('its container health check passes over https', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plum-health-'));
    writeFileSync(join(dir, 'cert.pem'), tls.cert);
    // Asynchronously: the server answers from this process.
    const run = (env: Record<string, string>) =>
      new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'src/main/healthcheck.ts', 'codec'], {
          env: { PATH: process.env.PATH, PLUM_CODEC_SERVER_PORT: new URL(server.url).port, ...env },
          stdio: 'ignore',
        });
        child.on('exit', (code) => resolve(code));
      });
    assert.equal(await run({ PLUM_CODEC_SERVER_TLS_CERT_FILE: join(dir, 'cert.pem') }), 0, 'healthy over https');
    assert.equal(await run({}), 1, 'plain http to an https server fails, as it should');
  });
});
