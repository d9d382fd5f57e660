import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { LabBuild } from './lab';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '..', '..');
/** The next release as a diff of this one: a changed refresh activity input and a new query (chaos `deploy`). */
export const NEXT_RELEASE_PATCH = join(ROOT, 'chaos', 'builds', 'next-release.patch');

/**
 * A build of the keeper in a folder of its own: this checkout's code, with `patch` applied when given, and its
 * workflow bundle built from that copy. Workers of two builds then run side by side, as in a rolling deploy.
 */
export async function prepareBuild(options: {
  dir: string;
  deploymentName: string;
  buildId: string;
  patch?: string;
}): Promise<LabBuild> {
  const tree = join(options.dir, `build-${options.buildId}`);
  mkdirSync(tree, { recursive: true });
  for (const entry of ['src', 'chaos', 'bench', 'package.json', 'tsconfig.json']) {
    cpSync(join(ROOT, entry), join(tree, entry), { recursive: true, filter: (path) => !path.includes('/results') });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(tree, 'node_modules'), 'dir');
  if (options.patch) execFileSync('git', ['apply', '--whitespace=nowarn', options.patch], { cwd: tree, stdio: 'pipe' });
  const { stdout } = await run(process.execPath, ['--import', 'tsx', join(tree, 'src', 'worker', 'bundle-main.ts')], {
    cwd: tree,
    maxBuffer: 256 * 2 ** 20,
  });
  const bundlePath = join(tree, 'workflow-bundle.js');
  writeFileSync(bundlePath, stdout);
  return {
    workerScript: join(tree, 'chaos', 'worker-process.ts'),
    bundlePath,
    deploymentName: options.deploymentName,
    buildId: options.buildId,
  };
}
