import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readiness } from './readiness';

export interface MonitoringServerOptions {
  host: string;
  port: number;
  /** The SDK's Prometheus exporter (`http://127.0.0.1:PORT/metrics`), served here as `/metrics`. */
  metricsSource: string;
  readiness: () => Promise<Readiness>;
}

/**
 * `/metrics` (the Temporal runtime's Prometheus exporter: the SDK's metrics and the keeper's, one registry),
 * `/healthz` (the process answers) and `/readyz` (connected to Temporal, polling the task queue) on one port.
 */
export class MonitoringServer {
  private constructor(
    private readonly server: ReturnType<typeof createServer>,
    readonly url: string,
  ) {}

  static async start(options: MonitoringServerOptions): Promise<MonitoringServer> {
    const server = createServer((req, res) => {
      handle(req, res, options).catch((error: unknown) => send(res, 500, { error: String(error) }));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          error.code === 'EADDRINUSE'
            ? new Error(`PLUM_METRICS_PORT ${options.port} is in use: choose another port, or 0 to turn metrics off`)
            : error,
        ),
      );
      server.listen(options.port, options.host, () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const host = options.host === '0.0.0.0' ? '127.0.0.1' : options.host;
    return new MonitoringServer(server, `http://${host}:${port}`);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(`${JSON.stringify(body)}\n`);
}

async function handle(req: IncomingMessage, res: ServerResponse, options: MonitoringServerOptions): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  if (req.method !== 'GET') return send(res, 405, { error: 'GET only' });
  if (path === '/healthz') return send(res, 200, { status: 'ok' });
  if (path === '/readyz') {
    const readiness = await options.readiness();
    return send(res, readiness.ready ? 200 : 503, readiness);
  }
  if (path === '/metrics') {
    const upstream = await fetch(options.metricsSource, { signal: AbortSignal.timeout(5000) });
    res.writeHead(upstream.status, {
      'content-type': upstream.headers.get('content-type') ?? 'text/plain; version=0.0.4',
    });
    res.end(await upstream.text());
    return;
  }
  send(res, 404, { error: `no route ${path}; try /metrics, /healthz or /readyz` });
}
