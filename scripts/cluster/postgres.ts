import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Managed, until } from './processes';

function findPgBin(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) if (existsSync(join(dir, name))) return join(dir, name);
  for (const version of ['17', '16', '15']) {
    const path = `/usr/lib/postgresql/${version}/bin/${name}`;
    if (existsSync(path)) return path;
  }
  return undefined;
}

/** Debian's PostgreSQL binaries: on PATH, else under /usr/lib/postgresql/<version>/bin; installed with apt if missing. */
function pgBin(name: string): string {
  const found = findPgBin(name);
  if (found) return found;
  if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    process.stdout.write('cluster: PostgreSQL is missing: apt-get install postgresql\n');
    execFileSync(
      'sh',
      ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql'],
      {
        stdio: 'inherit',
      },
    );
    const installed = findPgBin(name);
    if (installed) return installed;
  }
  throw new Error(`no ${name}: install PostgreSQL (apt-get install postgresql)`);
}

/** PostgreSQL refuses to run as root: as root, run it as the `postgres` user (setpriv execs, so the PID is its own). */
function asPostgres(command: string, args: string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [command, args];
  return ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', command, ...args]];
}

/** One PostgreSQL server in a data directory of its own, on loopback. */
export class LocalPostgres {
  private server: Managed | undefined;

  constructor(
    readonly dataDir: string,
    readonly port: number,
  ) {}

  /** Creates the data directory (initdb, trust auth on loopback) on first use, then starts the server. */
  async start(): Promise<void> {
    const cluster = join(this.dataDir, 'pgdata');
    const sockets = join(this.dataDir, 'sockets');
    mkdirSync(sockets, { recursive: true });
    if (process.getuid?.() === 0) {
      const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
      const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
      chownSync(this.dataDir, uid, gid);
      chownSync(sockets, uid, gid);
    }
    if (!existsSync(join(cluster, 'PG_VERSION'))) {
      const [command, args] = asPostgres(pgBin('initdb'), [
        '-D',
        cluster,
        '-U',
        'postgres',
        '--auth=trust',
        '-E',
        'UTF8',
      ]);
      execFileSync(command, args, { stdio: 'ignore' });
    }
    const [command, args] = asPostgres(pgBin('postgres'), [
      '-D',
      cluster,
      '-p',
      String(this.port),
      '-k',
      sockets,
      '-c',
      'listen_addresses=127.0.0.1',
    ]);
    this.server = Managed.start('postgresql', command, args);
    await until(
      'PostgreSQL to accept connections',
      () => this.query('SELECT 1') === '1',
      60_000,
      () => this.server?.output() ?? '',
    );
    if (this.query(`SELECT 1 FROM pg_roles WHERE rolname = 'temporal'`) !== '1') {
      this.query(`CREATE ROLE temporal LOGIN SUPERUSER PASSWORD 'temporal'`);
    }
  }

  /** Runs one statement as `postgres`; its first value, or '' when it fails. */
  query(sql: string): string {
    try {
      return execFileSync('psql', ['-h', '127.0.0.1', '-p', String(this.port), '-U', 'postgres', '-tAc', sql], {
        stdio: ['ignore', 'pipe', 'ignore'],
      })
        .toString()
        .trim();
    } catch {
      return '';
    }
  }

  get pid(): number | undefined {
    return this.server?.pid;
  }

  /** A fast shutdown (SIGINT: abort transactions, then stop). */
  async stop(): Promise<void> {
    await this.server?.stop('SIGINT', 30_000);
  }
}
