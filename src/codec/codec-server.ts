import { once } from 'node:events';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';

export interface CodecServerOptions {
  codec: PayloadCodec;
  /** Origins allowed by CORS (the Temporal UI's), e.g. `http://localhost:8233`. */
  allowedOrigins: string[];
  /** Bearer token callers must send; `null` disables authorisation and must be chosen explicitly. */
  authToken: string | null;
  host?: string;
  port?: number;
  /** Largest request body accepted (default 4 MiB). */
  maxBodyBytes?: number;
}

/** Protobuf JSON omits empty fields, so `{}` is a valid body with no payloads. */
const payloadsBody = z.object({
  payloads: z
    .array(
      z.object({
        metadata: z.record(z.string(), z.string()).optional(),
        data: z.string().optional(),
      }),
    )
    .default([]),
});

const ALLOWED_HEADERS = 'Content-Type, X-Namespace, Authorization, Caller-Type';

class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function fromJson(payload: z.infer<typeof payloadsBody>['payloads'][number]): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(payload.data ?? '', 'base64'),
  };
}

function toJson(payload: Payload): { metadata: Record<string, string>; data: string } {
  return {
    metadata: Object.fromEntries(
      Object.entries(payload.metadata ?? {}).map(([k, v]) => [
        k,
        Buffer.from(v ?? new Uint8Array()).toString('base64'),
      ]),
    ),
    data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64'),
  };
}

function tokensEqual(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Temporal's remote codec protocol (`POST /encode`, `POST /decode`) over HTTP, for the Temporal UI and the
 * `temporal` CLI's `--codec-endpoint`.
 */
export class CodecServer {
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(options: CodecServerOptions): Promise<CodecServer> {
    const handler = new CodecHandler(options);
    const server = createServer((req, res) => void handler.handle(req, res));
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
    await once(server, 'listening');
    const { address, port } = server.address() as AddressInfo;
    return new CodecServer(server, `http://${address}:${port}`);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

class CodecHandler {
  private readonly maxBodyBytes: number;

  constructor(private readonly options: CodecServerOptions) {
    this.maxBodyBytes = options.maxBodyBytes ?? 4 * 1024 * 1024;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const origin = req.headers.origin;
    const corsAllowed = origin !== undefined && this.options.allowedOrigins.includes(origin);
    if (corsAllowed) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Vary', 'Origin');
    }
    try {
      if (req.method === 'OPTIONS') {
        if (!corsAllowed) throw new HttpError(403, 'origin not allowed');
        res.writeHead(204, {
          'Access-Control-Allow-Methods': 'POST, OPTIONS',
          'Access-Control-Allow-Headers': ALLOWED_HEADERS,
          'Access-Control-Max-Age': '600',
        });
        res.end();
        return;
      }
      const path = new URL(req.url ?? '/', 'http://codec').pathname.replace(/\/+$/, '');
      if (req.method === 'GET' && path === '/healthz') {
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"status":"ok"}');
        return;
      }
      const operation = path.endsWith('/encode') ? 'encode' : path.endsWith('/decode') ? 'decode' : undefined;
      if (req.method !== 'POST' || !operation) throw new HttpError(404, 'use POST /encode or POST /decode');
      if (origin !== undefined && !corsAllowed) throw new HttpError(403, 'origin not allowed');
      this.authorise(req);
      const body = await this.readBody(req);
      const parsed = payloadsBody.safeParse(body);
      if (!parsed.success) throw new HttpError(400, 'body must be {"payloads": [{"metadata": {…}, "data": "base64"}]}');
      const payloads = parsed.data.payloads.map(fromJson);
      const result =
        operation === 'encode' ? await this.options.codec.encode(payloads) : await this.options.codec.decode(payloads);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ payloads: result.map(toJson) }));
    } catch (error) {
      const status = error instanceof HttpError ? error.status : 400;
      const message = error instanceof Error ? error.message : 'bad request';
      if (!res.headersSent) res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: message }));
    }
  }

  private authorise(req: IncomingMessage): void {
    const expected = this.options.authToken;
    if (expected === null) return;
    const match = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
    if (!match?.[1] || !tokensEqual(match[1], expected)) throw new HttpError(401, 'a valid bearer token is required');
  }

  private async readBody(req: IncomingMessage): Promise<unknown> {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > this.maxBodyBytes) throw new HttpError(413, `body larger than ${this.maxBodyBytes} bytes`);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > this.maxBodyBytes) throw new HttpError(413, `body larger than ${this.maxBodyBytes} bytes`);
      chunks.push(chunk);
    }
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      throw new HttpError(400, 'body is not JSON');
    }
  }
}
