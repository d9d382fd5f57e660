// npm run secrets [-- --dir secrets]: the files docker-compose.yml reads, made once. Existing files are kept (a new
// codec key would make every stored history unreadable); delete one to make it anew.
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';

/** The image's `node` user: compose mounts secrets with the host file's owner and mode. */
const NODE_UID = 1000;

const day = new Date().toISOString().slice(0, 10).replace(/-/g, '');
const FILES: Record<string, () => string> = {
  'codec-keys': () => `codec-${day}:${randomBytes(32).toString('base64')}\n`,
  'token-keys': () => `seal-${day}:${randomBytes(32).toString('base64')}\n`,
  'codec-server-token': () => `${randomBytes(32).toString('base64url')}\n`,
  'postgres-password': () => `${randomBytes(24).toString('base64url')}\n`,
  'plum-credentials.json': () => '{}\n',
};

const { dir } = new Command('npm run secrets --')
  .description('write the secrets docker-compose.yml reads (existing files are kept)')
  .option('--dir <dir>', 'where to write them', 'secrets')
  .parse()
  .opts<{ dir: string }>();

mkdirSync(dir, { recursive: true, mode: 0o700 });
const root = process.getuid?.() === 0;
for (const [name, make] of Object.entries(FILES)) {
  const path = join(dir, name);
  if (existsSync(path)) {
    process.stdout.write(`kept    ${path}\n`);
    continue;
  }
  writeFileSync(path, make(), { mode: 0o600 });
  if (root) chownSync(path, NODE_UID, NODE_UID);
  process.stdout.write(`wrote   ${path}\n`);
}
if (!root && process.getuid?.() !== NODE_UID) {
  process.stdout.write(
    `note: the files belong to uid ${process.getuid?.()}; the image runs as node (uid ${NODE_UID}) and must read them: sudo chown ${NODE_UID}:${NODE_UID} ${dir}/*\n`,
  );
}
process.stdout.write(
  `next: put each company's API client in ${join(dir, 'plum-credentials.json')}, then docker compose up -d\n`,
);
