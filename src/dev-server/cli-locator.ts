import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The newest CLI tag that `go install` can build (later tags carry replace directives). */
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

/** The `temporal` CLI could not be found or installed; the message says what to do. */
export class TemporalCliNotFoundError extends Error {
  override readonly name = 'TemporalCliNotFoundError';
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

async function goBinDir(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  try {
    const { stdout } = await run('go', ['env', 'GOBIN', 'GOPATH'], { env });
    const [gobin, gopath] = stdout.split('\n').map((line) => line.trim());
    if (gobin) return gobin;
    if (gopath) return join(gopath.split(delimiter)[0] ?? gopath, 'bin');
  } catch {
    // Go is absent: the caller reports it.
  }
  return undefined;
}

export interface LocateOptions {
  env?: NodeJS.ProcessEnv;
  /** Install with `go install` when nothing is found (default true). */
  install?: boolean;
  /** Progress lines ("installing the Temporal CLI…"). */
  log?: (line: string) => void;
}

/**
 * Finds the `temporal` CLI: `TEMPORAL_CLI_PATH`, then `PATH`, then Go's bin folder; else installs it with
 * `go install`. Returns `undefined` only when Go is absent, so the caller may try the SDK's own download.
 */
export async function locateTemporalCli(options: LocateOptions = {}): Promise<string | undefined> {
  const env = options.env ?? process.env;
  const explicit = env.TEMPORAL_CLI_PATH;
  if (explicit) {
    if (isExecutable(explicit)) return explicit;
    throw new TemporalCliNotFoundError(
      `TEMPORAL_CLI_PATH is set to "${explicit}", which is not an executable file. Point it at a temporal binary or unset it.`,
    );
  }
  const found = onPath('temporal', env);
  if (found) return found;
  const binDir = await goBinDir(env);
  if (!binDir) return undefined;
  const inGoBin = join(binDir, 'temporal');
  if (isExecutable(inGoBin)) return inGoBin;
  if (options.install === false) return undefined;

  options.log?.(`Temporal CLI not found; installing it with: go install ${TEMPORAL_CLI_MODULE} (a few minutes, once)`);
  try {
    await run('go', ['install', TEMPORAL_CLI_MODULE], { env, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new TemporalCliNotFoundError(
      `go install ${TEMPORAL_CLI_MODULE} failed:\n${stderr.split('\n').slice(-15).join('\n')}\n` +
        'Install the Temporal CLI yourself (https://docs.temporal.io/cli) and set TEMPORAL_CLI_PATH, or set ' +
        'TEMPORAL_ADDRESS to use an existing Temporal server.',
    );
  }
  if (isExecutable(inGoBin)) return inGoBin;
  throw new TemporalCliNotFoundError(`go install reported success but ${inGoBin} is missing; set TEMPORAL_CLI_PATH.`);
}
