// Issue 23: `npm run sandbox` prints its throwaway credentials in PLUM_CREDENTIALS_FILE's own shape, so the file a
// newcomer pastes them into is one the worker accepts at start.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readCredentialsFile } from '../src/plum/credentials-file';
import { plumTokensSchema } from '../src/contract';
import { startNode } from './helpers/child';
import { waitFor } from './helpers/wait';

describe('npm run sandbox', () => {
  it('prints the credentials file as the worker reads it, and a token set per company', async () => {
    const run = startNode(
      ['--import', 'tsx', 'src/main/sandbox.ts', '--port', '0', '--company', 'acme', '--company', 'globex'],
      {},
    );
    try {
      await waitFor('the token sets', () => /^globex: \{.*\}$/m.test(run.stdout()), 30_000);
    } finally {
      run.child.kill('SIGTERM');
      await run.exited;
    }
    const out = run.stdout();
    const block = out.slice(out.indexOf('{', out.indexOf('PLUM_CREDENTIALS_FILE')), out.indexOf('\nToken sets'));
    const file = join(mkdtempSync(join(tmpdir(), 'plum-sandbox-')), 'credentials.json');
    writeFileSync(file, block);
    assert.deepEqual([...readCredentialsFile(file).keys()], ['acme', 'globex']);
    for (const company of ['acme', 'globex']) {
      const line = new RegExp(`^${company}: (\\{.*\\})$`, 'm').exec(out)?.[1];
      assert.ok(plumTokensSchema.safeParse(JSON.parse(line ?? 'null')).success, `${company}'s token set`);
    }
  });
});
