import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** The package root: src/config and dist/config both sit two folders below package.json. */
const PACKAGE_ROOT = join(__dirname, '..', '..');
/** The folder this code runs from: `src` (tsx) or `dist` (compiled). */
const CODE_ROOT = join(__dirname, '..');

/** The release this code is, from package.json. */
export const RELEASE_VERSION = (
  JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }
).version;

/** What a keeper does is decided by the workflow bundle's modules and the activities' (and what they import). */
const ENTRY_MODULES = [
  'workflows/index',
  'workflows/zod-preload',
  'codec/failure-converter',
  'activities/plum-activities',
];
/** Packages whose code runs inside the workflow bundle: a new version of one is new workflow code. */
const BUNDLED_PACKAGES = ['@temporalio/workflow', '@temporalio/common', 'zod'];
const RELATIVE_IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g;

function moduleFile(base: string): string | undefined {
  for (const candidate of [`${base}.ts`, `${base}.js`, join(base, 'index.ts'), join(base, 'index.js')]) {
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Every file the entry modules reach through relative imports, with its content. */
function codeClosure(root: string): Map<string, string> {
  const files = new Map<string, string>();
  const pending = ENTRY_MODULES.map((entry) => moduleFile(join(root, entry))).filter((f) => f !== undefined);
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (files.has(file)) continue;
    const text = readFileSync(file, 'utf8');
    files.set(file, text);
    for (const match of text.matchAll(RELATIVE_IMPORT)) {
      const target = moduleFile(resolve(dirname(file), match[1]!.replace(/\.(js|ts)$/, '')));
      if (target !== undefined && !files.has(target)) pending.push(target);
    }
  }
  return files;
}

function packageVersion(name: string): string {
  try {
    const path = require.resolve(`${name}/package.json`, { paths: [PACKAGE_ROOT] });
    return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
  } catch {
    return 'absent';
  }
}

/**
 * The first 12 hex digits of a SHA-256 over the workflow and activity code this process runs (every file the entry
 * modules import, by path relative to the code root) and the versions of the packages bundled with the workflows.
 * The same code gives the same digest on any machine, in any image, with or without git; any change gives another.
 */
export function codeDigest(root: string = CODE_ROOT): string {
  const hash = createHash('sha256');
  const files = codeClosure(root);
  for (const file of [...files.keys()].sort()) {
    hash.update(`${relative(root, file).split('\\').join('/')}\0${files.get(file)}\0`);
  }
  for (const name of BUNDLED_PACKAGES) hash.update(`${name}@${packageVersion(name)}\0`);
  return hash.digest('hex').slice(0, 12);
}

/**
 * The build id workers report in their Worker Deployment Version when `PLUM_BUILD_ID` is unset: the release and the
 * code's digest as semver build metadata (`3.0.0+4f1c0d9a7b2e`). The release orders builds ("newer"); the digest
 * keeps two codes from sharing a pinned version.
 */
export function defaultBuildId(root: string = CODE_ROOT): string {
  return `${RELEASE_VERSION}+${codeDigest(root)}`;
}
