// Child process of `bundleInChildProcess`: bundles the workflow code and writes it to stdout; warnings go to stderr.
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
  (bundle) => process.stdout.write(bundle.code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
