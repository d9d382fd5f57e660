import type { ChildProcess } from 'node:child_process';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { freePort } from '../../src/dev-server/dev-server';
import { waitUntil } from './stats';

/** What to tell a user whose machine has no redis-server. */
export const REDIS_INSTALL_HINT = 'install it with `sudo apt-get install redis-server` (Debian/Ubuntu) and run again';

/** A throwaway redis-server on a free loopback port: no persistence, stopped with the bench. */
export class LocalRedis {
  private constructor(
    private readonly process: ChildProcess,
    readonly port: number,
  ) {}

  static available(): boolean {
    try {
      execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  }

  static async start(): Promise<LocalRedis> {
    const port = await freePort();
    const child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
      { stdio: 'ignore' },
    );
    const redis = new LocalRedis(child, port);
    const probe = redis.connect();
    probe.on('error', () => {}); // refused until the server listens; the wait below decides
    const up = await waitUntil(async () => (await probe.ping().catch(() => '')) === 'PONG', 10_000, 50);
    probe.disconnect();
    if (!up) {
      await redis.stop();
      throw new Error(`redis-server did not answer on port ${port} within 10 s`);
    }
    return redis;
  }

  /** A new connection (each naive refresher opens its own, as separate services would). */
  connect(): Redis {
    return new Redis({ host: '127.0.0.1', port: this.port, lazyConnect: false, maxRetriesPerRequest: 1 });
  }

  async stop(): Promise<void> {
    if (this.process.exitCode !== null) return;
    const exited = once(this.process, 'exit');
    this.process.kill('SIGTERM');
    await exited;
  }
}
