// Bundles the workflow code: to stdout (the child process of `bundleInChildProcess`), or with `--out FILE` to a file
// (`npm run build` writes dist/workflow-bundle.js). Warnings go to stderr.
import { writeFileSync } from 'node:fs';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { Logger } from '@temporalio/worker';
import { KEEPER_BUNDLE_OPTIONS } from './workflow-bundle';

const toStderr = (level: string) => (message: string) => process.stderr.write(`${level}: ${message}\n`);
const logger: Logger = {
  log: () => {},
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: toStderr('warn'),
  error: toStderr('error'),
};

bundleWorkflowCode({ ...KEEPER_BUNDLE_OPTIONS, logger }).then(
  (bundle) => {
    const out = process.argv.indexOf('--out');
    if (out < 0) process.stdout.write(bundle.code);
    else writeFileSync(process.argv[out + 1] ?? 'workflow-bundle.js', bundle.code);
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
