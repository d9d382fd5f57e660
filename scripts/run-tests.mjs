// Runs every test/**/*.test.ts with Node's built-in runner and the tsx loader (Node 20 has no test globs).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

function findTests(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return findTests(path);
    return entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

const filters = process.argv.slice(2);
const files = findTests('test')
  .filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}
// The temporal CLI and server are built once here, before any test starts (a first run takes minutes), rather than by
// two tests at once inside their own timeouts.
const tools = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/install-temporal-cli.ts'], { stdio: 'inherit' });
if (tools.status !== 0) process.exit(tools.status ?? 1);
const clients = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/install-client-deps.ts'], {
  stdio: 'inherit',
});
if (clients.status !== 0) process.exit(clients.status ?? 1);
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=tap', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
