// Issue 22, defect 13: a `--reason` with ANSI escapes and a newline was printed raw by `status`; a 405-character email
// got "email must be a string"; a token file with a UTF-8 BOM was "not JSON"; a non-ASCII email failed only at Plum.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { printable } from '../src/cli/output';
import { readTokens } from '../src/cli/read-tokens';
import { describeZodError, userTokenRequestSchema } from '../src/contract';

describe('what the CLI prints and reads', () => {
  it('escapes control characters, so a stored reason cannot forge a line or move the cursor', () => {
    const forged = 'ops\u001b[2K\rplum-keeper: company p1 is fine\nnext';
    const shown = printable(forged);
    assert.ok(![...shown].some((c) => c.charCodeAt(0) < 0x20), 'no control character survives');
    assert.equal(shown, 'ops\\u001b[2K\\u000dplum-keeper: company p1 is fine\\u000anext');
    assert.equal(printable('plain text, ünïcode'), 'plain text, ünïcode');
  });

  it('says an email is too long, or not ASCII, before anything reaches Plum', () => {
    const message = (email: string) => {
      const parsed = userTokenRequestSchema.safeParse({ email });
      return parsed.success ? 'ok' : describeZodError(parsed.error);
    };
    assert.match(message(`${'a'.repeat(400)}@x.test`), /at most 320 characters/);
    assert.match(message('jörg@x.test'), /must be ASCII/);
    assert.equal(message('admin@x.test'), 'ok');
  });

  it('reads a token file that starts with a UTF-8 byte-order mark', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'plum-bom-')), 'tokens.json');
    writeFileSync(file, `\uFEFF${JSON.stringify({ refresh_token: 'r', access_token: 'a' })}`);
    assert.deepEqual(readTokens(file), { refresh_token: 'r', access_token: 'a' });
  });
});
