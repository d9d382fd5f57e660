import { execFile, execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { defaultBuildId } from '../../src/config/release';
import type { LabBuild } from './lab';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '..', '..');
/** The next release as a diff of this one: a changed refresh activity input and a new query (chaos `deploy`). */
export const NEXT_RELEASE_PATCH = join(ROOT, 'chaos', 'builds', 'next-release.patch');

/** The last build before 1.0.0 (unversioned, no `keeperVersion` query): the previous build clients are tested against. */
export const PREVIOUS_BUILD_REF = '3673ddf';

const BUILD_ENTRIES = ['src', 'chaos', 'bench', 'package.json', 'tsconfig.json'];

/**
 * A build of the keeper in a folder of its own: this checkout's code (or the commit `ref`, read from git), with
 * `patch` applied when given, and its workflow bundle built from that copy. Workers of two builds then run side by
 * side, as in a rolling deploy. Returns the folder as `tree` too, for loading that build's client.
 */
export async function prepareBuild(options: {
  dir: string;
  deploymentName: string;
  /** Default: the build id the code gives itself (`defaultBuildId`: release + digest of its workflow and activity code). */
  buildId?: string;
  patch?: string;
  ref?: string;
  /** A change that is only a change: a comment appended to a workflow file (a restart with other code, same release). */
  touch?: boolean;
  /** The folder's name under `dir` (default: the build id). */
  name?: string;
}): Promise<LabBuild & { tree: string }> {
  const tree = join(options.dir, `build-${options.name ?? options.buildId ?? 'code'}`);
  mkdirSync(tree, { recursive: true });
  if (options.ref) {
    const archive = execFileSync('git', ['archive', '--format=tar', options.ref, ...BUILD_ENTRIES], {
      cwd: ROOT,
      maxBuffer: 256 * 2 ** 20,
    });
    execFileSync('tar', ['-x', '-C', tree], { input: archive });
  } else {
    for (const entry of BUILD_ENTRIES) {
      cpSync(join(ROOT, entry), join(tree, entry), { recursive: true, filter: (path) => !path.includes('/results') });
    }
  }
  symlinkSync(join(ROOT, 'node_modules'), join(tree, 'node_modules'), 'dir');
  if (options.patch) execFileSync('git', ['apply', '--whitespace=nowarn', options.patch], { cwd: tree, stdio: 'pipe' });
  if (options.touch)
    appendFileSync(join(tree, 'src', 'workflows', 'schedule.ts'), '\n// touched: other code, same release\n');
  const { stdout } = await run(process.execPath, ['--import', 'tsx', join(tree, 'src', 'worker', 'bundle-main.ts')], {
    cwd: tree,
    maxBuffer: 256 * 2 ** 20,
  });
  const bundlePath = join(tree, 'workflow-bundle.js');
  writeFileSync(bundlePath, stdout);
  return {
    tree,
    workerScript: join(tree, 'chaos', 'worker-process.ts'),
    bundlePath,
    deploymentName: options.deploymentName,
    buildId: options.buildId ?? defaultBuildId(join(tree, 'src')),
  };
}
