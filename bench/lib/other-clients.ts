import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { VENV_PYTHON } from '../../scripts/install-client-deps';
import type { Percentiles } from './stats';
import { percentiles } from './stats';

const run = promisify(execFile);

/** Cached and cold reads of one company through the Python or Go client, measured inside that client's process. */
export interface OtherClientReads {
  cached: Percentiles;
  cold: Percentiles;
}

export interface OtherClientsRun {
  python?: OtherClientReads;
  go?: OtherClientReads;
  notes: string[];
}

async function measure(command: string, args: string[], cwd: string, env: Record<string, string>) {
  const { stdout } = await run(command, args, { cwd, env: { ...process.env, ...env }, maxBuffer: 64 * 2 ** 20 });
  const { cachedMs, coldMs } = JSON.parse(stdout) as { cachedMs: number[]; coldMs: number[] };
  return { cached: percentiles(cachedMs), cold: percentiles(coldMs) };
}

/**
 * Runs clients/python/bench/read_path.py and clients/go/bench/readpath against `companyId`; a language whose tools
 * are missing (the virtual environment `npm test` makes, or Go) is left out with a note saying how to get it.
 */
export async function otherClientReads(
  env: Record<string, string>,
  companyId: string,
  sizes: { reads: number; coldReads: number },
): Promise<OtherClientsRun> {
  const vars = {
    ...env,
    BENCH_COMPANY: companyId,
    BENCH_READS: String(sizes.reads),
    BENCH_COLD_READS: String(sizes.coldReads),
  };
  const result: OtherClientsRun = { notes: [] };
  if (existsSync(VENV_PYTHON)) {
    result.python = await measure(VENV_PYTHON, ['clients/python/bench/read_path.py'], '.', vars);
  } else {
    result.notes.push(
      'no Python client environment, so the Python rows are missing: node --import tsx scripts/install-client-deps.ts',
    );
  }
  try {
    // Built first, so compiling is not part of any figure.
    await run('go', ['build', '-o', '.bench-readpath', './bench/readpath'], { cwd: 'clients/go' });
    result.go = await measure('./.bench-readpath', [], 'clients/go', vars);
  } catch (error) {
    result.notes.push(`the Go rows are missing (${(error as Error).message.split('\n')[0]}): install Go`);
  }
  return result;
}
