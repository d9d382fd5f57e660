import { EventEmitter, once } from 'node:events';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { handleAdmin, ADMIN_PREFIX } from './admin-routes';
import type { Fault, SandboxEndpoint } from './faults';
import { AFTER_COMMIT_FAULTS, FaultQueues, SANDBOX_ENDPOINTS } from './faults';
import { RateLimiter } from './rate-limiter';
import type { Reply } from './replies';
import { applicationError, legacyError, oauthError, rateLimitError, shapeReply } from './replies';
import type { KillKind, SandboxCompany, SandboxOptions, SeedCompanyInput, SeededCompany, TokenPair } from './store';
import { DEFAULT_SANDBOX_OPTIONS, SandboxStore, newToken } from './store';

/** The outcome of one call, as counted. */
export type CallOutcome =
  | 'ok'
  | 'rejected'
  | 'rate_limited'
  | 'server_error'
  | 'reset'
  | 'dropped'
  | 'malformed'
  | 'injected_error'
  | 'injected_reply';

/** Emitted on `calls` after every call, once its reply (or lack of one) is settled. */
export interface CallEvent {
  endpoint: SandboxEndpoint;
  outcome: CallOutcome;
  companyId?: string;
  /** True when the call took effect upstream (a rotation, a user token issued). */
  committed: boolean;
}

export interface SandboxStats {
  calls: Record<SandboxEndpoint, Partial<Record<CallOutcome, number>>>;
  /** Committed rotations per company. */
  rotations: Record<string, number>;
}

/** The operations a test or another process uses to steer the sandbox; implemented locally and over HTTP. */
export interface SandboxControl {
  seedCompany(input: SeedCompanyInput): Promise<SeededCompany>;
  stats(): Promise<SandboxStats>;
  injectFault(endpoint: SandboxEndpoint, fault: Fault): Promise<void>;
  clearFaults(): Promise<void>;
  killTokens(companyId: string, kind: KillKind): Promise<void>;
  regenerateTokens(companyId: string): Promise<SeededCompany['tokens']>;
  setCompanyDisabled(companyId: string, disabled: boolean): Promise<void>;
  setIpWhitelisted(companyId: string, whitelisted: boolean): Promise<void>;
  setUserDisabled(companyId: string, email: string, disabled: boolean): Promise<void>;
  setOptions(options: Partial<SandboxOptions>): Promise<void>;
}

export interface StartSandboxOptions extends Partial<SandboxOptions> {
  host?: string;
  port?: number;
  /** Bearer token the admin routes demand; when absent they are open (the sandbox binds to loopback). */
  adminToken?: string;
  now?: () => number;
}

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}\.[^\s@]{1,63}$/;
const USER_SCOPES = new Set(['user_session', 'store_admin_manage']);
const MAX_BODY_BYTES = 64 * 1024;

class HttpReplyError extends Error {
  override readonly name = 'HttpReplyError';
  constructor(readonly reply: Reply) {
    super(`sandbox reply ${reply.status}`);
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpReplyError(oauthError('invalid_request', 'body too large', 413));
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJsonBody(req: IncomingMessage, text: string): Record<string, unknown> {
  if (!(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json')) {
    throw new HttpReplyError(oauthError('invalid_request', 'Content-Type must be application/json', 415));
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new HttpReplyError(oauthError('invalid_request', 'body must be a JSON object'));
}

function bearer(req: IncomingMessage): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  return match?.[1];
}

/**
 * A local, faithful Plum token API (plum-api.md) with fault injection and call counters. Tests, benchmarks and
 * the demo run against it over loopback.
 */
export class PlumSandbox implements SandboxControl {
  /** Emits `call` with a {@link CallEvent} after every upstream-endpoint call. */
  readonly events = new EventEmitter();
  readonly store: SandboxStore;
  private readonly faults = new FaultQueues();
  private readonly limiter: RateLimiter;
  private readonly sockets = new Set<Socket>();
  private readonly counts = Object.fromEntries(SANDBOX_ENDPOINTS.map((e) => [e, {}])) as SandboxStats['calls'];
  private readonly rotations: Record<string, number> = {};
  private readonly held: (() => void)[] = [];
  private server: Server | undefined;
  private baseUrl = '';

  private constructor(
    options: SandboxOptions,
    private readonly now: () => number,
    private readonly adminToken: string | undefined,
  ) {
    this.store = new SandboxStore(options, now);
    this.limiter = new RateLimiter(now);
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

  /** Committed rotations of one company so far. */
  rotationCount(companyId: string): number {
    return this.rotations[companyId] ?? 0;
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
    if (fault?.kind === 'resetBeforeCommit') {
      this.record({ endpoint, outcome: 'reset', committed: false });
      req.socket.destroy();
      return;
    }

    let reply: Reply;
    let companyId: string | undefined;
    let committed = false;
    try {
      const result = this.process(endpoint, req, text);
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

  private process(
    endpoint: SandboxEndpoint,
    req: IncomingMessage,
    text: string,
  ): { reply: Reply; companyId?: string; committed: boolean } {
    switch (endpoint) {
      case 'refresh':
        return this.refresh(req, text);
      case 'createUserToken':
        return this.createUserToken(req, text);
      case 'validate':
        return this.validate(req);
      case 'api':
        return this.api(req);
    }
  }

  private checkCompany(company: SandboxCompany, rateKey: string): void {
    if (!company.ipWhitelisted) throw new HttpReplyError(applicationError('PIPE10017'));
    if (company.disabled) throw new HttpReplyError(applicationError('PIPE10016'));
    const { rateLimitPerWindow, rateLimitWindowMs, penaltySeconds } = this.store.options;
    const penalty = this.limiter.hit(rateKey, rateLimitPerWindow, rateLimitWindowMs, penaltySeconds * 1000);
    if (penalty > 0) throw new HttpReplyError(rateLimitError(Math.ceil(penalty / 1000)));
  }

  private rejectDeadPair(pair: TokenPair, tokenKind: 'access' | 'refresh'): void {
    if (pair.killed === 'password_reset') throw new HttpReplyError(legacyError());
    if (pair.killed === 'tokens_regenerated') {
      throw new HttpReplyError(oauthError('invalid_token', 'invalid/expired token', 401));
    }
    if (tokenKind === 'access') {
      if (!this.store.accessTokenUsable(pair))
        throw new HttpReplyError(oauthError('invalid_token', 'invalid/expired token', 401));
      return;
    }
    if (pair.evicted || this.now() >= pair.refreshExpiresAt || !this.store.spentTokenUsable(pair)) {
      throw new HttpReplyError(oauthError('invalid_grant', 'refresh token is invalid, expired or already used'));
    }
  }

  private refresh(req: IncomingMessage, text: string) {
    const body = parseJsonBody(req, text);
    const fields = ['grant_type', 'refresh_token', 'client_id', 'client_secret'] as const;
    const missing = fields.filter((f) => typeof body[f] !== 'string' || body[f] === '');
    if (missing.length > 0) {
      throw new HttpReplyError(oauthError('invalid_request', `missing or invalid: ${missing.join(', ')}`));
    }
    if (body.grant_type !== 'refresh_token') {
      throw new HttpReplyError(oauthError('invalid_request', 'grant_type must be refresh_token'));
    }
    const company = this.store.findByClientId(body.client_id as string);
    if (!company || company.clientSecret !== body.client_secret) throw new HttpReplyError(applicationError('PLE10014'));
    this.checkCompany(company, `company:${company.companyId}`);
    const pair = this.store.findPairByRefreshToken(company, body.refresh_token as string);
    if (!pair)
      throw new HttpReplyError(oauthError('invalid_grant', 'refresh token is invalid, expired or already used'));
    this.rejectDeadPair(pair, 'refresh');
    pair.spentAt ??= this.now();
    const next = this.store.issuePair(company);
    return {
      reply: { status: 200, body: this.encodeGrant(this.store.grant(next)) },
      companyId: company.companyId,
      committed: true,
    };
  }

  private bearerPair(req: IncomingMessage) {
    const token = bearer(req);
    const found = token === undefined ? undefined : this.store.findAccessToken(token);
    if (!found) throw new HttpReplyError(oauthError('invalid_token', 'invalid/expired token', 401));
    this.rejectDeadPair(found.pair, 'access');
    return found;
  }

  private createUserToken(req: IncomingMessage, text: string) {
    const found = this.bearerPair(req);
    if (found.user) throw new HttpReplyError(oauthError('invalid_token', 'a company token is required', 401));
    const { company } = found;
    this.checkCompany(company, `company:${company.companyId}`);
    const body = parseJsonBody(req, text);
    const email = typeof body.user_input === 'string' ? body.user_input.toLowerCase() : undefined;
    const scope = body.scope;
    if (!email || !EMAIL.test(email))
      throw new HttpReplyError(oauthError('invalid_request', 'user_input must be an e-mail'));
    if (typeof scope !== 'string' || !USER_SCOPES.has(scope)) {
      throw new HttpReplyError(oauthError('invalid_request', 'scope is not supported'));
    }
    if (company.admins.length > 0 && !company.admins.map((a) => a.toLowerCase()).includes(email)) {
      throw new HttpReplyError(oauthError('invalid_request', 'user_input is not a Super Admin of this company'));
    }
    if (company.disabledUsers.has(email)) throw new HttpReplyError(applicationError('PIPE10015'));
    const now = this.now();
    const lifetime = this.store.options.userTokenLifetimeMs;
    const pair: TokenPair = {
      accessToken: newToken('sbx_ut_'),
      refreshToken: newToken('sbx_urt_'),
      accessExpiresAt: now + lifetime,
      refreshExpiresAt: now + lifetime,
    };
    this.store.userTokens.set(pair.accessToken, { companyId: company.companyId, email, scope, pair });
    return {
      reply: { status: 200, body: this.encodeGrant(this.store.grant(pair)) },
      companyId: company.companyId,
      committed: true,
    };
  }

  private validate(req: IncomingMessage) {
    const { company, pair } = this.bearerPair(req);
    const grant = this.store.grant(pair);
    const body = {
      access_token: grant.access_token,
      token_type: grant.token_type,
      expires_in: grant.expires_in,
      access_token_expiry: grant.access_token_expiry,
      refresh_token_expiry: grant.refresh_token_expiry,
    };
    return { reply: { status: 200, body: this.encodeGrant(body) }, companyId: company.companyId, committed: false };
  }

  private api(req: IncomingMessage) {
    const { company } = this.bearerPair(req);
    this.checkCompany(company, `company:${company.companyId}`);
    return {
      reply: { status: 200, body: { data: { getBalance: { status: 1, data: { value: 100, currency: 'USD' } } } } },
      companyId: company.companyId,
      committed: false,
    };
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
