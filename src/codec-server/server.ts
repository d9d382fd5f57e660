import { once } from 'node:events';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import type { OidcVerifier } from './oidc-verifier';
import { AccessTokenRefusedError } from './oidc-verifier';

export interface CodecServerOptions {
  codec: PayloadCodec;
  /** Origins allowed by CORS (the Temporal UI's), e.g. `http://localhost:8233`. */
  allowedOrigins: string[];
  /**
   * Static bearer token callers may send (the `temporal` CLI's); `null` with no `oidc` disables authorisation, which
   * must be chosen explicitly.
   */
  authToken: string | null;
  /** Also accepts OIDC access tokens this verifier accepts (the Temporal UI's logged-in users). */
  oidc?: Pick<OidcVerifier, 'verify'>;
  /** Serves HTTPS with these PEM contents. */
  tls?: { cert: string | Buffer; key: string | Buffer };
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

// Authorization-Extras carries the UI user's ID token beside the access token (passAccessToken).
const ALLOWED_HEADERS = 'Content-Type, X-Namespace, Authorization, Authorization-Extras, Caller-Type';

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
    const handle = (req: IncomingMessage, res: ServerResponse) => void handler.handle(req, res);
    const server: Server = options.tls ? createTlsServer(options.tls, handle) : createServer(handle);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
    await once(server, 'listening');
    const { address, port } = server.address() as AddressInfo;
    const host = address.includes(':') ? `[${address}]` : address;
    return new CodecServer(server, `${options.tls ? 'https' : 'http'}://${host}:${port}`);
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
      await this.authorise(req);
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

  /** The static token, else a verified OIDC access token; neither configured means authorisation is off. */
  private async authorise(req: IncomingMessage): Promise<void> {
    const { authToken, oidc } = this.options;
    if (authToken === null && !oidc) return;
    const given = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!given) throw new HttpError(401, 'a bearer token is required');
    if (authToken !== null && tokensEqual(given, authToken)) return;
    if (!oidc) throw new HttpError(401, 'the bearer token is not the one this server accepts');
    try {
      await oidc.verify(given);
    } catch (error) {
      throw new HttpError(
        401,
        error instanceof AccessTokenRefusedError ? error.message : 'the bearer token is refused',
      );
    }
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
