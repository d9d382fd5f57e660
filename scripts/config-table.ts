// Prints the README's configuration table from the zod schema; with --write, replaces it in README.md.
import { readFileSync, writeFileSync } from 'node:fs';
import { configTableMarkdown } from '../src/config/variables';
import { README_TABLE, replaceTable } from './readme-table';

if (process.argv.includes('--write')) {
  writeFileSync(README_TABLE.path, replaceTable(readFileSync(README_TABLE.path, 'utf8'), configTableMarkdown()));
  console.log(`wrote the configuration table into ${README_TABLE.path}; run npm run format`);
} else {
  console.log(configTableMarkdown());
}
