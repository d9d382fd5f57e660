import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import { AesGcmCodec } from '../src/codec/aes-gcm-codec';
import { CodecServer } from '../src/codec-server/server';
import { KeyRing } from '../src/codec/key-ring';
import { testKey } from './helpers/codec';

const TOKEN = 'codec-bearer';
const ORIGIN = 'http://localhost:8233';

function jsonPayload(value: unknown) {
  const payload = defaultPayloadConverter.toPayload(value);
  return {
    metadata: Object.fromEntries(
      Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v!).toString('base64')]),
    ),
    data: Buffer.from(payload.data!).toString('base64'),
  };
}

describe('the codec server over HTTP', () => {
  let server: CodecServer;
  before(async () => {
    server = await CodecServer.start({
      codec: new AesGcmCodec(KeyRing.of({ a: testKey('a') }, 'a')),
      authToken: TOKEN,
      allowedOrigins: [ORIGIN],
      maxBodyBytes: 64 * 1024,
    });
  });
  after(() => server.stop());

  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, ...headers },
      body,
    });

  it('encodes and decodes round trip', async () => {
    const original = jsonPayload({ accessToken: 'sbx_at_secret' });
    const encoded = (await (await post('/encode', JSON.stringify({ payloads: [original] }))).json()) as {
      payloads: { metadata: Record<string, string>; data: string }[];
    };
    assert.equal(Buffer.from(encoded.payloads[0]!.metadata.encoding!, 'base64').toString(), 'binary/encrypted');
    assert.ok(!Buffer.from(encoded.payloads[0]!.data, 'base64').toString('latin1').includes('sbx_at_secret'));
    const decodedRes = await post('/decode', JSON.stringify(encoded), { 'x-namespace': 'default' });
    assert.equal(decodedRes.status, 200);
    assert.deepEqual(await decodedRes.json(), { payloads: [original] });
  });

  it('answers an empty protobuf-JSON body with no payloads', async () => {
    const res = await post('/decode', '{}');
    assert.deepEqual(await res.json(), { payloads: [] });
  });

  it('answers GET /healthz without a token (for container health checks), and nothing else without one', async () => {
    const health = await fetch(`${server.url}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
    assert.equal((await fetch(`${server.url}/decode`)).status, 404);
  });

  it('refuses without the bearer token, or with a wrong one', async () => {
    assert.equal((await post('/decode', '{}', { authorization: '' })).status, 401);
    assert.equal((await post('/decode', '{}', { authorization: 'Bearer nope' })).status, 401);
  });

  it('answers the CORS preflight for the configured origin, with the headers the UI sends', async () => {
    const res = await fetch(`${server.url}/decode`, {
      method: 'OPTIONS',
      headers: {
        origin: ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-namespace',
      },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), ORIGIN);
    assert.match(res.headers.get('access-control-allow-headers') ?? '', /X-Namespace/);
    assert.match(res.headers.get('access-control-allow-headers') ?? '', /Authorization/);
    const real = await post('/decode', '{}', { origin: ORIGIN });
    assert.equal(real.headers.get('access-control-allow-origin'), ORIGIN);
  });

  it('refuses other origins', async () => {
    const preflight = await fetch(`${server.url}/decode`, {
      method: 'OPTIONS',
      headers: { origin: 'http://evil.test' },
    });
    assert.equal(preflight.status, 403);
    assert.equal(preflight.headers.get('access-control-allow-origin'), null);
    assert.equal((await post('/decode', '{}', { origin: 'http://evil.test' })).status, 403);
  });

  it('refuses oversize and malformed bodies', async () => {
    const big = JSON.stringify({ payloads: [{ data: 'A'.repeat(100 * 1024) }] });
    assert.equal((await post('/decode', big)).status, 413);
    assert.equal((await post('/decode', 'not json')).status, 400);
    assert.equal((await post('/decode', JSON.stringify({ payloads: 'x' }))).status, 400);
    assert.equal((await fetch(`${server.url}/elsewhere`, { method: 'POST' })).status, 404);
  });

  it('names an unknown key id', async () => {
    const other = new AesGcmCodec(KeyRing.of({ z: testKey('z') }, 'z'));
    const [sealed] = await other.encode([defaultPayloadConverter.toPayload('x')]);
    const body = JSON.stringify({
      payloads: [
        {
          metadata: Object.fromEntries(
            Object.entries(sealed!.metadata!).map(([k, v]) => [k, Buffer.from(v!).toString('base64')]),
          ),
          data: Buffer.from(sealed!.data!).toString('base64'),
        },
      ],
    });
    const res = await post('/decode', body);
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as { error: string }).error, /key id "z"/);
  });
});
