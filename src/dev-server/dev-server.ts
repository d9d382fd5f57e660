import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { PLUM_SEARCH_ATTRIBUTE_TYPES } from '../contract';

/** The dev server did not come up; the message carries the tail of its output. */
export class DevServerStartError extends Error {
  override readonly name = 'DevServerStartError';

  constructor(
    message: string,
    /** The server process ended (rather than not answering in time). */
    readonly exited: boolean,
  ) {
    super(message);
  }
}

export interface DevServerOptions {
  /** Path of the `temporal` CLI (see `locateTemporalCli`). */
  cliPath: string;
  /** SQLite file to persist to; in-memory when absent. */
  dbFile?: string;
  namespace?: string;
  /** gRPC port; a free one when absent. */
  port?: number;
  /** UI port; no UI (headless) when absent. */
  uiPort?: number;
  /** Remote codec endpoint the UI should use. */
  uiCodecEndpoint?: string;
  /** How long to wait for the server to answer (default 60 s). */
  startTimeoutMs?: number;
}

/**
 * Runs inside a small Node process between us and the CLI: when our end of its stdin closes (we stopped it, or
 * we died, even by SIGKILL) it stops the server, so no server outlives its parent.
 */
const WATCHDOG = `
const { spawn } = require('node:child_process');
const [command, ...args] = JSON.parse(process.argv[1]);
const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  child.kill('SIGTERM');
  setTimeout(() => child.kill('SIGKILL'), 10000).unref();
};
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.on('close', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
child.on('error', (e) => { console.error('watchdog: ' + e.message); process.exit(127); });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
`;

/** Admitted-but-unfinished updates the server allows per workflow (Temporal's default is 10). */
export const MAX_IN_FLIGHT_UPDATES = 500;

/** Flags every dev server of this project gets, however it is started. */
export function devServerTuningArgs(uiCodecEndpoint?: string): string[] {
  // The default of 10 in-flight updates per workflow would make concurrent refreshNow callers wait for each other.
  const args = ['--dynamic-config-value', `history.maxInFlightUpdates=${MAX_IN_FLIGHT_UPDATES}`];
  // The server's default (off) sends every activity through matching: about 12 ms more per refreshNow (bench).
  args.push('--dynamic-config-value', 'system.enableActivityEagerExecution=true');
  if (uiCodecEndpoint) args.push('--ui-codec-endpoint', uiCodecEndpoint);
  return args;
}

/** Finds a free TCP port on loopback. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A running `temporal server start-dev`, with the project's search attributes registered. */
export class DevServer {
  private exited: Promise<void>;

  private constructor(
    private readonly watchdog: ChildProcess,
    /** `host:port` of the gRPC frontend. */
    readonly address: string,
    readonly namespace: string,
    /** The UI's URL, when it has one. */
    readonly uiUrl: string | undefined,
    private readonly output: string[],
  ) {
    this.exited = once(watchdog, 'exit').then(() => undefined);
  }

  /** The process id of the watchdog that owns the server process (for tests of orphan handling). */
  get watchdogPid(): number | undefined {
    return this.watchdog.pid;
  }

  /**
   * Starts the server and resolves once it answers gRPC calls. A server on ports chosen here that exits while starting
   * is started once more on fresh ones: a free port can be taken by another process before the server binds it.
   */
  static async start(options: DevServerOptions): Promise<DevServer> {
    return DevServer.startOnce(options).catch((error: unknown) => {
      if (options.port !== undefined || !(error instanceof DevServerStartError) || !error.exited) throw error;
      return DevServer.startOnce(options);
    });
  }

  private static async startOnce(options: DevServerOptions): Promise<DevServer> {
    const namespace = options.namespace ?? 'default';
    const port = options.port ?? (await freePort());
    const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--namespace', namespace];
    args.push('--log-level', 'warn', '--log-format', 'pretty');
    if (options.dbFile) {
      mkdirSync(dirname(options.dbFile), { recursive: true });
      args.push('--db-filename', options.dbFile);
    }
    if (options.uiPort !== undefined) args.push('--ui-port', String(options.uiPort));
    else args.push('--headless');
    args.push(...devServerTuningArgs(options.uiCodecEndpoint));
    for (const [name, type] of Object.entries(PLUM_SEARCH_ATTRIBUTE_TYPES)) {
      args.push('--search-attribute', `${name}=${type}`);
    }

    const watchdog = spawn(process.execPath, ['-e', WATCHDOG, JSON.stringify([options.cliPath, ...args])], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    const keep = (chunk: Buffer) => {
      output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      if (output.length > 200) output.splice(0, output.length - 200);
    };
    watchdog.stdout?.on('data', keep);
    watchdog.stderr?.on('data', keep);

    const address = `127.0.0.1:${port}`;
    const uiUrl = options.uiPort !== undefined ? `http://localhost:${options.uiPort}` : undefined;
    const server = new DevServer(watchdog, address, namespace, uiUrl, output);
    await server.waitUntilServing(options.startTimeoutMs ?? 60_000);
    return server;
  }

  private async waitUntilServing(timeoutMs: number): Promise<void> {
    let exited = false;
    void this.exited.then(() => (exited = true));
    const deadline = Date.now() + timeoutMs;
    while (!exited && Date.now() < deadline) {
      try {
        const connection = await Connection.connect({ address: this.address, connectTimeout: 1000 });
        try {
          await connection.workflowService.describeNamespace({ namespace: this.namespace });
          return;
        } finally {
          await connection.close();
        }
      } catch {
        await sleep(200);
      }
    }
    const tail = this.output.slice(-20).join('\n');
    await this.stop();
    throw new DevServerStartError(
      `temporal server start-dev ${exited ? 'exited' : `did not answer within ${timeoutMs} ms`}. Its last output:\n${tail}`,
      exited,
    );
  }

  /** Stops the server (SIGTERM, then SIGKILL after 10 s) and waits for it to exit. */
  async stop(): Promise<void> {
    if (this.watchdog.exitCode === null && this.watchdog.signalCode === null) this.watchdog.stdin?.end();
    await this.exited;
  }
}
