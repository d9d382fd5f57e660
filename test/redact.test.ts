import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redact, redactText } from '../src/logging/redact';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhY21lIn0.c2lnbmF0dXJlLXZhbHVl';

describe('redaction', () => {
  it('replaces secret fields at any depth, keeping the rest', () => {
    assert.deepEqual(
      redact({
        companyId: 'acme',
        tokens: { refresh_token: 'r' },
        nested: [{ accessToken: 'a', status: 'ACTIVE' }],
        client_secret: 's',
      }),
      {
        companyId: 'acme',
        tokens: '[REDACTED]',
        nested: [{ accessToken: '[REDACTED]', status: 'ACTIVE' }],
        client_secret: '[REDACTED]',
      },
    );
  });

  it('scrubs tokens from free text: JWTs, bearer headers, JSON fields, sandbox tokens', () => {
    const text = `got ${JWT} with Authorization: Bearer abc.def and {"refresh_token": "opaque-123"} and sbx_rt_xyz-1`;
    const out = redactText(text);
    for (const secret of [JWT, 'abc.def', 'opaque-123', 'sbx_rt_xyz-1']) assert.ok(!out.includes(secret), out);
    assert.match(out, /^got \[REDACTED-JWT\] with Authorization: Bearer \[REDACTED\]/);
  });

  it('leaves ordinary text and errors readable', () => {
    assert.equal(
      redactText('refresh failed: Plum refresh: server error (HTTP 503)'),
      'refresh failed: Plum refresh: server error (HTTP 503)',
    );
    assert.deepEqual(redact(new Error(`bad ${JWT}`)), { name: 'Error', message: 'bad [REDACTED-JWT]' });
  });
});
