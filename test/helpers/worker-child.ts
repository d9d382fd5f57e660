import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SeededCompany } from '../../src/sandbox/store';
import { TEST_KEY_ENV_VARS } from './codec';
import type { KeeperEnv } from './keeper-env';

/** Writes a PLUM_CREDENTIALS_FILE holding one seeded company's credentials. */
export function credentialsFileFor(seeded: SeededCompany): string {
  const file = join(mkdtempSync(join(tmpdir(), 'plum-credentials-')), 'credentials.json');
  writeFileSync(
    file,
    JSON.stringify({ [seeded.companyId]: { client_id: seeded.clientId, client_secret: seeded.clientSecret } }),
  );
  return file;
}

export interface WorkerChild {
  child: ChildProcess;
  /** Everything the worker wrote to stdout and stderr so far. */
  output(): string;
  /** Whether the worker printed `line` on a line of its own. */
  said(line: string): boolean;
}

/** Runs test/fixtures/worker-child.ts: a keeper worker in its own process, output captured. */
export function startWorkerChild(
  env: KeeperEnv,
  options: { taskQueue: string; credentialsFile: string; extraEnv?: Record<string, string> },
): WorkerChild {
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '..', 'fixtures', 'worker-child.ts')], {
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: env.server.address,
      PLUM_BASE_URL: env.sandbox.url,
      PLUM_CREDENTIALS_FILE: options.credentialsFile,
      TASK_QUEUE: options.taskQueue,
      ...TEST_KEY_ENV_VARS,
      ...options.extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output, said: (line) => output.split('\n').includes(line) };
}
