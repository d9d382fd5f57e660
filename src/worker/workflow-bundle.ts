import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BundleOptions, WorkflowBundle } from '@temporalio/worker';
import { FAILURE_CONVERTER_PATH } from '../codec/data-converter';

/** The path the worker bundles workflow code from. */
export const WORKFLOWS_PATH = require.resolve('../workflows');

/**
 * How the keeper's workflow code is bundled, wherever it is bundled (worker start, tests, replay).
 *
 * zod is evaluated once per worker and shared by every cached workflow, instead of once per workflow: it held most of
 * a cached workflow's memory and most of the CPU of creating one. zod keeps no per-workflow state (no clock, no
 * randomness; its caches are keyed by schema), so sharing it cannot carry one workflow into another. The preload is a
 * module of ours rather than `'zod'` itself: webpack drops a preload of a package that declares itself free of side
 * effects, and a bare `'zod'` would resolve to its CommonJS copy, which the workflow code does not use.
 */
export const KEEPER_BUNDLE_OPTIONS = {
  workflowsPath: WORKFLOWS_PATH,
  failureConverterPath: FAILURE_CONVERTER_PATH,
  preloadModules: [require.resolve('../workflows/zod-preload')],
} satisfies BundleOptions;

/** Loader flags (tsx when running from source) the bundling child needs to load this code as the parent does. */
function loaderFlags(execArgv: readonly string[]): string[] {
  const flags: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!;
    if (/^(--import|--require|-r|--loader|--experimental-loader)$/.test(arg)) flags.push(arg, execArgv[++i] ?? '');
    else if (/^(--import|--require|--loader|--experimental-loader)=/.test(arg)) flags.push(arg);
  }
  return flags;
}

/**
 * Bundles the workflow code in a short-lived child process (`bundle-main.ts`). webpack and everything it loads stay
 * in that child: bundling in the worker's own process left about 125 MiB resident for the worker's whole life.
 */
export function bundleInChildProcess(): Promise<WorkflowBundle> {
  const entry = require.resolve('./bundle-main');
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [...loaderFlags(process.execArgv), entry],
      { maxBuffer: 256 * 2 ** 20, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`bundling the workflow code failed: ${stderr.trim() || error.message}`));
        else resolve({ code: stdout });
      },
    );
  });
}

/** Where `npm run build` writes the pre-built bundle: `dist/workflow-bundle.js`, beside the compiled code. */
export const PREBUILT_BUNDLE_PATH = join(__dirname, '..', 'workflow-bundle.js');

/**
 * The workflow code a worker runs: the bundle `npm run build` made, when this is the compiled code (`dist/`) and the
 * bundle is there (the SDK's production practice: no webpack at start); else one bundled now, in a child process.
 * Running from source (tsx) always bundles anew, so a stale `dist/` never runs edited workflow code.
 */
export async function keeperWorkflowBundle(
  log?: (line: string) => void,
): Promise<WorkflowBundle | { codePath: string }> {
  const compiled = __filename.endsWith('.js');
  if (compiled && existsSync(PREBUILT_BUNDLE_PATH)) {
    log?.(`workflow code: the pre-built bundle ${PREBUILT_BUNDLE_PATH}`);
    return { codePath: PREBUILT_BUNDLE_PATH };
  }
  const started = Date.now();
  const bundle = await bundleInChildProcess();
  log?.(
    `workflow code: bundled at start in ${Date.now() - started} ms` +
      (compiled ? ` (no ${PREBUILT_BUNDLE_PATH}: npm run build makes it)` : ' (running from source)'),
  );
  return bundle;
}
