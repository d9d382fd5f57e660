import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { devServerTuningArgs } from './dev-server';
import { PLUM_SEARCH_ATTRIBUTE_KEYS } from '../contract';

/** The SDK could not download the dev server either; the message says what to install. */
export class SdkDownloadFailedError extends Error {
  override readonly name = 'SdkDownloadFailedError';
}

/**
 * Last resort when neither the `temporal` CLI nor Go is available: the SDK downloads and runs the dev server itself
 * (it needs to reach temporal.download). The SDK owns that process, so the watchdog of `DevServer` does not apply.
 */
export async function startSdkDownloadedServer(options: {
  dbFile: string;
  namespace: string;
  port: number;
  uiPort: number;
  uiCodecEndpoint?: string;
}): Promise<{ address: string; uiUrl: string; stop: () => Promise<void> }> {
  mkdirSync(dirname(options.dbFile), { recursive: true });
  let env: TestWorkflowEnvironment;
  try {
    // A development dependency: loaded only on this last-resort path of the embedded demo.
    const { TestWorkflowEnvironment } = await import('@temporalio/testing');
    env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'cached-download' },
        ip: '127.0.0.1',
        port: options.port,
        namespace: options.namespace,
        dbFilename: options.dbFile,
        ui: true,
        uiPort: options.uiPort,
        searchAttributes: PLUM_SEARCH_ATTRIBUTE_KEYS,
        extraArgs: devServerTuningArgs(options.uiCodecEndpoint),
      },
    });
  } catch (error) {
    throw new SdkDownloadFailedError(
      `No temporal CLI, no Go to install it, and the SDK could not download the dev server (${(error as Error).message.split('\n')[0]}). ` +
        'Install Go or the Temporal CLI (then set TEMPORAL_CLI_PATH), or set TEMPORAL_ADDRESS to a running server.',
    );
  }
  return {
    address: `127.0.0.1:${options.port}`,
    uiUrl: `http://localhost:${options.uiPort}`,
    stop: () => env.teardown(),
  };
}
