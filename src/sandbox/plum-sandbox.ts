import { EventEmitter, once } from 'node:events';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { handleAdmin } from './admin-routes';
import type { CallEvent, CallOutcome, SandboxControl, SandboxStats } from './control';
import { ADMIN_PREFIX } from './control';
import { HttpReplyError, PlumEndpoints, readBody } from './endpoints';
import type { Fault, SandboxEndpoint } from './faults';
import { AFTER_COMMIT_FAULTS, FaultQueues, SANDBOX_ENDPOINTS } from './faults';
import { RateLimiter } from './rate-limiter';
import type { Reply } from './replies';
import { oauthError, shapeReply } from './replies';
import type { KillKind, SandboxOptions, SeedCompanyInput, SeededCompany } from './store';
import { DEFAULT_SANDBOX_OPTIONS, SandboxStore } from './store';

export type { CallEvent, CallOutcome, SandboxControl, SandboxStats } from './control';

export interface StartSandboxOptions extends Partial<SandboxOptions> {
  host?: string;
  port?: number;
  /** Bearer token the admin routes demand; when absent they are open (the sandbox binds to loopback). */
  adminToken?: string;
  now?: () => number;
}

/**
 * A local, faithful Plum token API (docs/plum-api.md) with fault injection and call counters. Tests, benchmarks and
 * the demo run against it over loopback.
 */
export class PlumSandbox implements SandboxControl {
  /** Emits `call` with a {@link CallEvent} after every upstream-endpoint call. */
  readonly events = new EventEmitter();
  readonly store: SandboxStore;
  private readonly faults = new FaultQueues();
  private readonly endpoints: PlumEndpoints;
  private readonly sockets = new Set<Socket>();
  private readonly counts = Object.fromEntries(SANDBOX_ENDPOINTS.map((e) => [e, {}])) as SandboxStats['calls'];
  private readonly rotations: Record<string, number> = {};
  private rotationsInAll = 0;
  private readonly held: (() => void)[] = [];
  private server: Server | undefined;
  private baseUrl = '';

  private constructor(
    options: SandboxOptions,
    private readonly now: () => number,
    private readonly adminToken: string | undefined,
  ) {
    this.store = new SandboxStore(options, now);
    this.endpoints = new PlumEndpoints(this.store, new RateLimiter(now), now, (grant) => this.encodeGrant(grant));
  }

  /** Starts a sandbox on `host:port` (defaults 127.0.0.1 and a free port). */
  static async start(options: StartSandboxOptions = {}): Promise<PlumSandbox> {
    const { host = '127.0.0.1', port = 0, adminToken, now = Date.now, ...rest } = options;
    const sandbox = new PlumSandbox({ ...DEFAULT_SANDBOX_OPTIONS, ...rest }, now, adminToken);
    await sandbox.listen(host, port);
    return sandbox;
  }

  /** The base URL, the counterpart of Plum's `https://…/chef`. */
  get url(): string {
    return this.baseUrl;
  }

  private async listen(host: string, port: number): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    server.listen(port, host);
    await once(server, 'listening');
    const address = server.address() as AddressInfo;
    this.server = server;
    this.baseUrl = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}/chef`;
  }

  /** Stops listening and drops every open connection (including replies held by `dropAfterCommit`). */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.releaseHeld();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async seedCompany(input: SeedCompanyInput): Promise<SeededCompany> {
    const seeded = this.store.seed(input);
    return { ...seeded, tokens: this.encodeGrant(seeded.tokens) as SeededCompany['tokens'] };
  }

  async stats(): Promise<SandboxStats> {
    return structuredClone({ calls: this.counts, rotations: this.rotations });
  }

  /** Committed rotations so far: of one company, or of all of them. */
  rotationCount(companyId?: string): number {
    return companyId === undefined ? this.rotationsInAll : (this.rotations[companyId] ?? 0);
  }

  callCount(endpoint: SandboxEndpoint, outcome?: CallOutcome): number {
    const byOutcome = this.counts[endpoint];
    if (outcome) return byOutcome[outcome] ?? 0;
    return Object.values(byOutcome).reduce((a, b) => a + (b ?? 0), 0);
  }

  async injectFault(endpoint: SandboxEndpoint, fault: Fault): Promise<void> {
    this.faults.inject(endpoint, fault);
  }

  /** Calls currently held by a `hold` fault. */
  get heldCount(): number {
    return this.held.length;
  }

  /** Lets every call held by a `hold` fault proceed. */
  releaseHeld(): void {
    for (const release of this.held.splice(0)) release();
  }

  async clearFaults(): Promise<void> {
    this.faults.clear();
  }

  async killTokens(companyId: string, kind: KillKind): Promise<void> {
    this.store.kill(companyId, kind);
  }

  async regenerateTokens(companyId: string): Promise<SeededCompany['tokens']> {
    return this.encodeGrant(this.store.regenerate(companyId)) as SeededCompany['tokens'];
  }

  async setCompanyDisabled(companyId: string, disabled: boolean): Promise<void> {
    this.store.requireCompany(companyId).disabled = disabled;
  }

  async setIpWhitelisted(companyId: string, whitelisted: boolean): Promise<void> {
    this.store.requireCompany(companyId).ipWhitelisted = whitelisted;
  }

  async setUserDisabled(companyId: string, email: string, disabled: boolean): Promise<void> {
    const users = this.store.requireCompany(companyId).disabledUsers;
    if (disabled) users.add(email.toLowerCase());
    else users.delete(email.toLowerCase());
  }

  async setOptions(options: Partial<SandboxOptions>): Promise<void> {
    this.store.options = { ...this.store.options, ...options };
  }

  private encodeGrant(grant: Record<string, unknown>): Record<string, unknown> {
    if (!this.store.options.numericStrings) return grant;
    const encoded = { ...grant };
    for (const key of ['expires_in', 'access_token_expiry', 'refresh_token_expiry']) {
      if (typeof encoded[key] === 'number') encoded[key] = String(encoded[key]);
    }
    return encoded;
  }

  private record(event: CallEvent): void {
    const byOutcome = this.counts[event.endpoint];
    byOutcome[event.outcome] = (byOutcome[event.outcome] ?? 0) + 1;
    if (event.committed && event.endpoint === 'refresh' && event.companyId) {
      this.rotations[event.companyId] = (this.rotations[event.companyId] ?? 0) + 1;
      this.rotationsInAll++;
    }
    this.events.emit('call', event);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    try {
      if (url.pathname.startsWith(ADMIN_PREFIX)) {
        const text = await readBody(req);
        const reply = await handleAdmin(this, this.adminToken, req, url, text);
        send(res, reply);
        return;
      }
      const endpoint = routeOf(req.method ?? 'GET', url.pathname);
      if (!endpoint) {
        send(res, oauthError('invalid_request', 'no such route', url.pathname.startsWith('/chef/') ? 405 : 404));
        return;
      }
      await this.handleEndpoint(endpoint, req, res);
    } catch (error) {
      if (error instanceof HttpReplyError) send(res, error.reply);
      else send(res, { status: 500, body: { error: 'server_error', error_description: 'sandbox failure' } });
    }
  }

  private async handleEndpoint(endpoint: SandboxEndpoint, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = await readBody(req);
    const arrivedAt = this.now();
    const fault = this.faults.take(endpoint);
    if (fault?.kind === 'latency') await sleep(fault.ms);
    if (fault?.kind === 'hold') await new Promise<void>((resolve) => this.held.push(resolve));
    if (fault?.kind === 'serverError') {
      this.record({ endpoint, outcome: 'server_error', committed: false });
      send(res, { status: fault.status ?? 503, body: { error: 'server_error', error_description: 'injected' } });
      return;
    }
    if (fault && ['oauth', 'legacy', 'application', 'rateLimit'].includes(fault.kind)) {
      this.record({ endpoint, outcome: 'injected_error', committed: false });
      send(res, shapeReply(fault as Parameters<typeof shapeReply>[0]));
      return;
    }
    if (fault?.kind === 'reply') {
      this.record({ endpoint, outcome: 'injected_reply', committed: false });
      res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers }).end(fault.body);
      return;
    }
    if (fault?.kind === 'unreachable') {
      await Promise.race([sleep(fault.ms), once(req.socket, 'close')]);
      this.record({ endpoint, outcome: 'reset', committed: false });
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'resetBeforeCommit') {
      this.record({ endpoint, outcome: 'reset', committed: false });
      req.socket.destroy();
      return;
    }

    let reply: Reply;
    let companyId: string | undefined;
    let committed = false;
    try {
      const result = this.endpoints.process(endpoint, req, text, arrivedAt);
      reply = result.reply;
      companyId = result.companyId;
      committed = result.committed;
    } catch (error) {
      if (!(error instanceof HttpReplyError)) throw error;
      reply = error.reply;
    }

    if (fault && AFTER_COMMIT_FAULTS.has(fault.kind)) {
      if (fault.kind === 'resetAfterCommit') {
        this.record({ endpoint, outcome: 'reset', companyId, committed });
        req.socket.destroy();
      } else if (fault.kind === 'dropAfterCommit') {
        // The reply never comes: the socket stays open until the client gives up or the sandbox stops.
        this.record({ endpoint, outcome: 'dropped', companyId, committed });
      } else {
        this.record({ endpoint, outcome: 'malformed', companyId, committed });
        const body = (fault as { body?: string }).body ?? '{"access_token": 42, "expires_in": true}';
        res.writeHead(200, { 'content-type': 'application/json' }).end(body);
      }
      return;
    }
    const outcome: CallOutcome =
      reply.status < 300
        ? 'ok'
        : reply.status === 429
          ? 'rate_limited'
          : reply.status >= 500
            ? 'server_error'
            : 'rejected';
    send(res, reply);
    this.record({ endpoint, outcome, companyId, committed });
  }
}

function routeOf(method: string, path: string): SandboxEndpoint | undefined {
  if (method === 'POST' && path === '/chef/v1/oauth/token/company') return 'refresh';
  if (method === 'POST' && path === '/chef/v1/oauth/token/create/user') return 'createUserToken';
  if (method === 'GET' && path === '/chef/v1/oauth/token') return 'validate';
  if (method === 'POST' && path === '/chef/v1/oauth/api') return 'api';
  return undefined;
}

function send(res: ServerResponse, reply: Reply): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
  res.end(JSON.stringify(reply.body));
}
