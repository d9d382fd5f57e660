// R5's CLI target: `plum-keeper` run as a process with fuzzed arguments and token files, the way an operator's
// typo reaches it. A clear answer: exit 0, 1 or 2, a message on failure, no stack trace, no secret.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { MARK, awkwardString, jsonish } from '../lib/arbitraries';
import type { ChaosLab } from '../lib/lab';
import { Tally } from '../lib/tally';

const CLI = resolve(__dirname, '..', '..', 'bin', 'plum-keeper.js');
const COMMANDS = ['status', 'token', 'list', 'user-token', 'rotate', 'reseed', 'enrol', 'retire', 'launch'];

/** Output of the CLI runs that did not ask to --reveal, for the secret scan (R6). */
export const cliOutputs: string[] = [];

function run(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { ...process.env, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

export async function fuzzCli(
  lab: ChaosLab,
  live: string,
  sample: <T>(a: fc.Arbitrary<T>, numRuns?: number) => T[],
  runs: number,
): Promise<Tally> {
  const tally = new Tally('CLI arguments');
  const dir = mkdtempSync(join(tmpdir(), 'chaos-cli-'));
  const option = fc.oneof(
    fc.constantFrom(
      ['--json'],
      ['--wait'],
      ['--bogus'],
      ['--status', 'NOPE'],
      ['--status', 'ACTIVE'],
      ['--scope', 'x'],
    ),
    awkwardString.map((reason) => ['--reason', reason]),
    fc
      .tuple(fc.constantFrom('file', 'missing'), jsonish)
      .map(([kind, content]) => ['--tokens-file', kind === 'file' ? content : 'missing']),
  );
  const cases = sample(
    fc.tuple(
      fc.constantFrom(...COMMANDS),
      fc.array(fc.oneof(fc.constant(live), awkwardString), { maxLength: 3 }),
      fc.array(option, { maxLength: 3 }),
    ),
    runs,
  );
  const env = {
    TEMPORAL_ADDRESS: lab.server.address,
    TEMPORAL_NAMESPACE: 'default',
    ...lab.keyEnv(),
    PLUM_CLIENT_SECRET: `${MARK}-secret`,
  };
  const secrets = [MARK, ...lab.secrets()];
  for (const [index, [command, positional, options]] of cases.entries()) {
    const args = [command, ...positional];
    for (const [flag, value] of options as [string, unknown][]) {
      if (flag === '--tokens-file' && value !== 'missing') {
        const file = join(dir, `tokens-${index}.json`);
        writeFileSync(file, `${JSON.stringify(value) ?? ''}${MARK}`);
        args.push(flag, file);
      } else {
        args.push(flag, ...(value === undefined ? [] : [String(value)]));
      }
    }
    const { code, stdout, stderr } = await run(args, env);
    cliOutputs.push(stdout, stderr);
    const output = stdout + stderr;
    if (![0, 1, 2].includes(code)) tally.record(`exit ${code} for ${command}`);
    else if (code !== 0 && !stderr.trim() && !stdout.trim())
      tally.record(`exit ${code} with no message for ${command}`);
    else if (/\n\s+at .+:\d+:\d+/.test(output)) tally.record(`a stack trace for ${command}: ${stderr.slice(0, 120)}`);
    else if (secrets.some((s) => s.length >= 8 && output.includes(s))) tally.record(`a secret printed by ${command}`);
    else tally.record(undefined);
  }
  return tally;
}
