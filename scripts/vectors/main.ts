// npm run vectors [-- --write]: prints whether docs/vectors/*.json match what the code makes, or rewrites them.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { format, resolveConfig } from 'prettier';
import { conformanceVectors } from './generate';

const DIR = 'docs/vectors';
const { write } = new Command('npm run vectors --')
  .description('check (or --write) the conformance vectors in docs/vectors against the TypeScript code')
  .option('--write', 'rewrite the files')
  .parse()
  .opts<{ write?: boolean }>();

async function main(): Promise<void> {
  mkdirSync(DIR, { recursive: true });
  let stale = 0;
  for (const [file, content] of Object.entries(conformanceVectors())) {
    const path = join(DIR, file);
    // Formatted as the repository's format check wants it, so a written file passes both checks.
    const text = await format(JSON.stringify(content), { ...(await resolveConfig(path)), filepath: path });
    if (write) {
      writeFileSync(path, text);
      process.stdout.write(`wrote ${path}\n`);
      continue;
    }
    let current = '';
    try {
      current = readFileSync(path, 'utf8');
    } catch {
      // missing: stale below
    }
    if (current !== text) {
      stale += 1;
      process.stdout.write(`stale ${path}: npm run vectors -- --write\n`);
    } else process.stdout.write(`ok    ${path}\n`);
  }
  process.exitCode = stale > 0 ? 1 : 0;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
