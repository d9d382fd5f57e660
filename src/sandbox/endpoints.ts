import type { IncomingMessage } from 'node:http';
import type { SandboxEndpoint } from './faults';
import type { RateLimiter } from './rate-limiter';
import type { Reply } from './replies';
import { applicationError, legacyError, oauthError, rateLimitError } from './replies';
import type { SandboxCompany, SandboxStore, TokenPair } from './store';
import { newToken } from './store';

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}\.[^\s@]{1,63}$/;
const USER_SCOPES = new Set(['user_session', 'store_admin_manage']);
const MAX_BODY_BYTES = 64 * 1024;

/** A refusal carrying the reply Plum would send. */
export class HttpReplyError extends Error {
  override readonly name = 'HttpReplyError';
  constructor(readonly reply: Reply) {
    super(`sandbox reply ${reply.status}`);
  }
}

export async function readBody(req: IncomingMessage): Promise<string> {
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

/** What one endpoint call did: its reply, the company it concerned, and whether it took effect upstream. */
export interface EndpointResult {
  reply: Reply;
  companyId?: string;
  committed: boolean;
}

/** Plum's four token-API endpoints over the sandbox's store: the behaviour, without the HTTP server or faults. */
export class PlumEndpoints {
  constructor(
    private readonly store: SandboxStore,
    private readonly limiter: RateLimiter,
    private readonly now: () => number,
    private readonly encodeGrant: (grant: Record<string, unknown>) => Record<string, unknown>,
  ) {}

  /** Answers one call; a refusal is thrown as an {@link HttpReplyError} carrying Plum's reply. */
  process(endpoint: SandboxEndpoint, req: IncomingMessage, text: string, arrivedAt: number): EndpointResult {
    switch (endpoint) {
      case 'refresh':
        return this.refresh(req, text, arrivedAt);
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

  private refresh(req: IncomingMessage, text: string, arrivedAt: number) {
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
    const next = this.store.issuePair(company, arrivedAt);
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
