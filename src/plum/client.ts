import type { z } from 'zod';
import { describeZodError } from '../contract';
import type { AnyPlumError, PlumOperation } from './errors';
import { PlumNotSentError, PlumOutcomeUnknownError } from './errors';
import { classifyErrorReply } from './error-body';
import type { TokenSet, TokenValidity } from './token-set';
import { accessExpiryFrom, toTokenSet, tokenGrantBody, validateBody } from './token-set';

/** Per-company API client credentials; never leave the worker. */
export interface PlumCredentials {
  clientId: string;
  clientSecret: string;
}

export interface PlumClientOptions {
  /** Base URL including `/chef`, e.g. `https://accounts.xoxoday.com/chef`. */
  baseUrl: string;
  /** Per-call deadline in milliseconds (default 15 000). */
  timeoutMs?: number;
  /** Clock for expiries derived from `expires_in`; defaults to `Date.now`. */
  now?: () => number;
}

export interface CallOptions {
  /** Aborts the call; an abort after the request was sent is an unknown outcome. */
  signal?: AbortSignal;
}

/** Codes of connection errors that happen before a single byte of the request left this machine. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
]);

function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The Plum token endpoints, with every outcome classified into one of the errors of `./errors`. */
export class PlumClient {
  private readonly baseUrl: string;
  /** Per-call deadline in milliseconds. */
  readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(options: PlumClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.now = options.now ?? Date.now;
  }

  /** Spends `refreshToken` for a new token set (§1). The old refresh token may be dead once this is sent. */
  async refresh(refreshToken: string, credentials: PlumCredentials, options: CallOptions = {}): Promise<TokenSet> {
    const body = await this.call('refresh', 'POST', '/v1/oauth/token/company', options, {
      body: {
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
        client_id: credentials.clientId,
        client_secret: credentials.clientSecret,
      },
    });
    return toTokenSet(this.parseOk('refresh', tokenGrantBody, body), this.now());
  }

  /** Exchanges the company access token for a token set scoped to a Super Admin (§2). */
  async createUserToken(
    companyAccessToken: string,
    input: { email: string; scope: string },
    options: CallOptions = {},
  ): Promise<TokenSet> {
    const body = await this.call('createUserToken', 'POST', '/v1/oauth/token/create/user', options, {
      bearer: companyAccessToken,
      body: { user_input: input.email, scope: input.scope },
    });
    return toTokenSet(this.parseOk('createUserToken', tokenGrantBody, body), this.now());
  }

  /** Asks Plum when an access token expires (§3). */
  async validate(accessToken: string, options: CallOptions = {}): Promise<TokenValidity> {
    const body = await this.call('validate', 'GET', '/v1/oauth/token', options, { bearer: accessToken });
    const parsed = this.parseOk('validate', validateBody, body);
    return {
      accessTokenExpiresAt: accessExpiryFrom(parsed, this.now()),
      ...(parsed.refresh_token_expiry !== undefined && { refreshTokenExpiresAt: parsed.refresh_token_expiry }),
    };
  }

  private parseOk<S extends z.ZodType>(operation: PlumOperation, schema: S, text: string): z.output<S> {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new PlumOutcomeUnknownError(operation, 'MALFORMED_REPLY', 'a 200 reply that is not JSON');
    }
    const result = schema.safeParse(json);
    if (!result.success) {
      throw new PlumOutcomeUnknownError(
        operation,
        'MALFORMED_REPLY',
        `a 200 reply with bad fields: ${describeZodError(result.error)}`,
      );
    }
    return result.data;
  }

  private async call(
    operation: PlumOperation,
    method: 'GET' | 'POST',
    path: string,
    options: CallOptions,
    request: { bearer?: string; body?: unknown },
  ): Promise<string> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    if (request.bearer !== undefined) headers.authorization = `Bearer ${request.bearer}`;

    let response: Response;
    let text: string;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        signal,
        ...(request.body !== undefined && { body: JSON.stringify(request.body) }),
      });
      text = await response.text();
    } catch (error) {
      throw this.transportError(operation, error, timeout, options.signal);
    }
    if (response.ok) return text;
    throw classifyErrorReply(operation, response.status, response.headers, text, this.now());
  }

  private transportError(
    operation: PlumOperation,
    error: unknown,
    timeout: AbortSignal,
    callerSignal: AbortSignal | undefined,
  ): AnyPlumError {
    if (callerSignal?.aborted) return new PlumOutcomeUnknownError(operation, 'ABORTED', 'the caller aborted the call');
    if (timeout.aborted) {
      return new PlumOutcomeUnknownError(operation, 'TIMEOUT', `no reply within ${this.timeoutMs} ms`);
    }
    return classifyConnectionError(operation, error);
  }
}

/** A failed connection: certainly not sent for DNS and refusals, else the request may have gone out. */
export function classifyConnectionError(
  operation: PlumOperation,
  error: unknown,
): PlumNotSentError | PlumOutcomeUnknownError {
  const code = errorCode(error) ?? 'UNKNOWN';
  if (NOT_SENT_CODES.has(code)) return new PlumNotSentError(operation, code);
  return new PlumOutcomeUnknownError(operation, 'RESET', `connection failed after sending (${code})`);
}
