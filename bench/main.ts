// `npm run bench`: the keeper beside what users would build instead, on real servers over loopback.
// Prints one table and writes the same figures to bench/results/latest.json. Sizes: see --help.
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { Command } from 'commander';
import { createLog } from '../src/logging/log';
import { installRuntime } from '../src/worker/runtime';
import { locateTemporalCli } from '../src/dev-server/cli-locator';
import { Harness } from './lib/harness';
import { describeMachine } from './lib/machine';
import type { SectionResult } from './lib/report';
import { printTable } from './lib/report';
import { positiveInteger, subsetOf } from './lib/cli-options';
import { coldQueries } from './sections/cold-query';
import { costPerCompany } from './sections/cost';
import { exactlyOneRefresh } from './sections/exactly-one';
import { readPath } from './sections/read-path';
import { scale } from './sections/scale';
import type { BenchSizes } from './sections/sizes';
import { DEFAULT_SIZES, SMALL_SIZES } from './sections/sizes';
import { userTokens } from './sections/user-tokens';

const SECTIONS = {
  read: readPath,
  cold: coldQueries,
  once: exactlyOneRefresh,
  user: userTokens,
  cost: costPerCompany,
  scale,
} satisfies Record<string, (harness: Harness, sizes: BenchSizes) => Promise<SectionResult>>;
type SectionName = keyof typeof SECTIONS;

const sectionList = subsetOf(Object.keys(SECTIONS) as SectionName[], 'section');

const program = new Command('bench')
  .description('Benchmarks the keeper beside Redis, raw queries and naive refreshers; writes JSON figures.')
  .option('--small', 'tiny sizes: every section runs in about a minute (what the test uses)')
  .option(
    '--companies <n>',
    `companies in the scale section (default ${DEFAULT_SIZES.scaleCompanies})`,
    positiveInteger,
  )
  .option('--reads <n>', `reads through the client cache and Redis (default ${DEFAULT_SIZES.reads})`, positiveInteger)
  .option('--query-reads <n>', `raw accessToken queries (default ${DEFAULT_SIZES.queryReads})`, positiveInteger)
  .option('--cache <n>', "the scale worker's maxCachedWorkflows (default: the keeper's own default)", positiveInteger)
  .option('--waves <n>', `exactly-one-refresh waves (default ${DEFAULT_SIZES.waves})`, positiveInteger)
  .option('--sections <list>', `comma-separated subset of ${Object.keys(SECTIONS).join(',')}`, sectionList)
  .option('--out <file>', 'where the JSON goes', 'bench/results/latest.json')
  .addHelpText('after', '\nNeeds the temporal CLI (npm run ci:temporal-cli) and, for the Redis rows, redis-server.');

async function main(): Promise<void> {
  program.parse();
  const options = program.opts<{
    small?: boolean;
    companies?: number;
    reads?: number;
    queryReads?: number;
    waves?: number;
    cache?: number;
    sections?: SectionName[];
    out: string;
  }>();
  const sizes: BenchSizes = {
    ...(options.small ? SMALL_SIZES : DEFAULT_SIZES),
    ...(options.companies !== undefined && { scaleCompanies: options.companies }),
    ...(options.reads !== undefined && { reads: options.reads }),
    ...(options.queryReads !== undefined && { queryReads: options.queryReads }),
    ...(options.waves !== undefined && { waves: options.waves }),
    ...(options.cache !== undefined && { scaleCacheSize: options.cache }),
  };
  installRuntime({ log: createLog('bench', { level: 'error' }), level: 'error' });
  const load = loadavg();
  const cliPath = await locateTemporalCli({ log: console.error });
  if (!cliPath) throw new Error('the bench needs the temporal CLI: run `npm run ci:temporal-cli` first');
  const machine = describeMachine(cliPath, load);
  console.log(
    `bench on ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.temporalCli}; load ${machine.loadAverageAtStart.join(' ')}`,
  );

  const started = Date.now();
  const harness = await Harness.start(cliPath);
  const results: SectionResult[] = [];
  try {
    for (const name of options.sections ?? (Object.keys(SECTIONS) as SectionName[])) {
      const sectionStart = Date.now();
      console.error(`… ${name}`);
      const result = await SECTIONS[name](harness, sizes);
      result.figures.seconds = Math.round((Date.now() - sectionStart) / 100) / 10;
      results.push(result);
    }
  } finally {
    await harness.stop();
  }
  results.sort((a, b) => a.title.localeCompare(b.title, 'en', { numeric: true }));
  printTable(results);
  const seconds = Math.round((Date.now() - started) / 1000);
  console.log(`\n${seconds} s in all`);
  const out = resolve(options.out);
  mkdirSync(dirname(out), { recursive: true });
  const document = {
    measuredAt: new Date().toISOString(),
    machine,
    sizes,
    seconds,
    sections: Object.fromEntries(
      results.map((r) => [r.id, { title: r.title, rows: r.rows, figures: r.figures, notes: r.notes ?? [] }]),
    ),
  };
  writeFileSync(out, `${JSON.stringify(document, null, 2)}\n`);
  console.log(`figures written to ${options.out}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
