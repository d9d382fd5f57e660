// `npm run chaos`: the keeper on the bad day. Runs experiments R1–R8 on real servers over loopback (a dev server on a
// SQLite file, the Plum sandbox with its faults, keeper workers in child processes), prints one table and writes the
// same figures to chaos/results/latest.json. Exits 1 when a goal is missed. Sizes: see --help.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Command } from 'commander';
import { locateTemporalCli } from '../src/dev-server/cli-locator';
import { createLog } from '../src/logging/log';
import { installRuntime } from '../src/worker/runtime';
import type { SectionResult } from '../bench/lib/report';
import { printTable, row } from '../bench/lib/report';
import { describeMachine } from '../bench/lib/machine';
import { positiveInteger, subsetOf } from '../bench/lib/cli-options';
import { ChaosLab } from './lib/lab';
import { described } from './lib/described';
import { SeededRandom } from './lib/random';
import type { ChaosSizes } from './lib/sizes';
import { DEFAULT_SIZES, SMALL_SIZES } from './lib/sizes';
import { EXPERIMENTS, type ExperimentId } from './experiments';

const experimentList = subsetOf(Object.keys(EXPERIMENTS) as ExperimentId[], 'experiment', (id) => id.toUpperCase());

const program = new Command('chaos')
  .description('Fault experiments R1–R8 on real servers; prints the figures and writes them as JSON.')
  .option('--small', 'the seeded subset npm test runs (about three minutes)')
  .option('--seed <n>', 'seed of kill points, latencies and fuzz cases', positiveInteger, 20261202)
  .option(
    '--kill-rounds <n>',
    `R1 kill rounds per upstream mode (default ${DEFAULT_SIZES.killRounds})`,
    positiveInteger,
  )
  .option('--kill-companies <n>', `R1 companies per round (default ${DEFAULT_SIZES.killCompanies})`, positiveInteger)
  .option('--fuzz-runs <n>', `R5 cases per property (default ${DEFAULT_SIZES.fuzzRuns})`, positiveInteger)
  .option('--only <list>', `comma-separated subset of ${Object.keys(EXPERIMENTS).join(',')}`, experimentList)
  .option('--out <file>', 'where the JSON goes', 'chaos/results/latest.json')
  .addHelpText('after', '\nNeeds the temporal CLI (npm run ci:temporal-cli).');

async function main(): Promise<number> {
  program.parse();
  const options = program.opts<{
    small?: boolean;
    seed: number;
    killRounds?: number;
    killCompanies?: number;
    fuzzRuns?: number;
    only?: ExperimentId[];
    out: string;
  }>();
  const sizes: ChaosSizes = {
    ...(options.small ? SMALL_SIZES : DEFAULT_SIZES),
    ...(options.killRounds !== undefined && { killRounds: options.killRounds }),
    ...(options.killCompanies !== undefined && { killCompanies: options.killCompanies }),
    ...(options.fuzzRuns !== undefined && { fuzzRuns: options.fuzzRuns }),
  };
  const log = createLog('chaos', { level: 'warn', format: 'pretty' });
  installRuntime({ log, level: 'warn' });
  const cliPath = await locateTemporalCli({ log: (line) => console.error(line) });
  if (!cliPath) {
    console.error('chaos needs the temporal CLI: run `npm run ci:temporal-cli`, or set TEMPORAL_CLI_PATH');
    return 2;
  }
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'plum-chaos-'));
  const lab = await ChaosLab.start(cliPath, dir);
  const random = new SeededRandom(options.seed);
  const sections: SectionResult[] = [];
  try {
    for (const [id, experiment] of Object.entries(EXPERIMENTS) as [
      ExperimentId,
      (typeof EXPERIMENTS)[ExperimentId],
    ][]) {
      if (options.only && !options.only.includes(id)) continue;
      const t0 = Date.now();
      process.stderr.write(`chaos: ${id}…\n`);
      // An experiment that throws is a missed goal with its error, and the others still run: the figures are written.
      const result = await experiment(lab, sizes, random).catch((error: unknown) => {
        process.stderr.write(`chaos: ${id} threw: ${error instanceof Error ? error.stack : String(error)}\n`);
        return thrownSection(id, error);
      });
      result.figures.seconds = Math.round((Date.now() - t0) / 1000);
      sections.push(result);
      printTable([result]);
      if (id === 'R3') {
        // Mid-run, as an operator would: workers get the new key first (each experiment starts its own), then clients.
        await lab.rotateCodecKey();
        process.stderr.write('chaos: payload key rotated; R6 reads histories written under both keys\n');
      }
    }
  } finally {
    await lab.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const seconds = Math.round((Date.now() - started) / 1000);
  console.log(`\n=== chaos summary (seed ${options.seed}, ${seconds} s, load ${loadavg()[0]!.toFixed(1)}) ===`);
  printTable(sections);
  const out = resolve(options.out);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    `${JSON.stringify(
      {
        at: new Date().toISOString(),
        seed: options.seed,
        sizes,
        seconds,
        machine: describeMachine(cliPath, loadavg()),
        experiments: Object.fromEntries(sections.map((s) => [s.id, s])),
      },
      null,
      2,
    )}\n`,
  );
  console.log(`\nfigures written to ${options.out}`);
  const missed = sections.flatMap((s) => s.rows.filter((r) => r.met === false).map((r) => `${s.id}: ${r.figure}`));
  if (missed.length) console.log(`goals missed: ${missed.join('; ')}`);
  return missed.length ? 1 : 0;
}

function thrownSection(id: ExperimentId, error: unknown): SectionResult {
  return {
    id,
    title: `${id} threw before it finished`,
    rows: [row('the experiment ran to its end', described(error), { text: 'no error thrown', met: false })],
    figures: { error: described(error) },
  };
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
