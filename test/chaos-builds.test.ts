import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { NEXT_RELEASE_PATCH } from '../chaos/lib/builds';

describe('the next release of the DEPLOY experiment', () => {
  it('applies to this checkout (else: make it again, chaos/builds/README.md)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'plum-next-release-'));
    try {
      cpSync('src', join(dir, 'src'), { recursive: true });
      assert.doesNotThrow(
        () => execFileSync('git', ['apply', '--check', NEXT_RELEASE_PATCH], { cwd: dir, stdio: 'pipe' }),
        'chaos/builds/next-release.patch no longer applies to src/: make it again as chaos/builds/README.md says',
      );
      execFileSync('git', ['apply', NEXT_RELEASE_PATCH], { cwd: dir, stdio: 'pipe' });
      assert.match(readFileSync(join(dir, 'src/contract/versions.ts'), 'utf8'), /KEEPER_PROTOCOL = 2;/);
      assert.match(readFileSync(join(dir, 'src/contract/activities.ts'), 'utf8'), /grant: \{ refreshToken/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
