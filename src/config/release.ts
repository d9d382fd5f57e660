import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The package root: src/config and dist/config both sit two folders below package.json. */
const PACKAGE_ROOT = join(__dirname, '..', '..');

/** The release this code is, from package.json. */
export const RELEASE_VERSION = (
  JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }
).version;

/** The checked-out commit (short), read from `.git` without running git; undefined outside a checkout. */
function checkedOutCommit(root: string): string | undefined {
  try {
    const head = readFileSync(join(root, '.git', 'HEAD'), 'utf8').trim();
    if (!head.startsWith('ref: ')) return head.slice(0, 12);
    const ref = head.slice(5);
    const loose = join(root, '.git', ref);
    if (existsSync(loose)) return readFileSync(loose, 'utf8').trim().slice(0, 12);
    const packed = readFileSync(join(root, '.git', 'packed-refs'), 'utf8');
    const line = packed.split('\n').find((l) => l.endsWith(` ${ref}`));
    return line?.slice(0, 12);
  } catch {
    return undefined;
  }
}

/**
 * The build id workers report in their Worker Deployment Version when `PLUM_BUILD_ID` is unset: the release and,
 * in a git checkout, the commit (`1.0.0+3673ddf1a2b3`). Images set `PLUM_BUILD_ID` at build time.
 */
export function defaultBuildId(root: string = PACKAGE_ROOT): string {
  const commit = checkedOutCommit(root);
  return commit === undefined ? RELEASE_VERSION : `${RELEASE_VERSION}+${commit}`;
}
