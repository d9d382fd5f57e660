import { setTimeout as sleep } from 'node:timers/promises';
import type { AccessToken, RefreshedToken } from '../contract';

/** The part of `TokenKeeperClient` that calling Plum needs. */
export interface TokenSource {
  getAccessToken(companyId: string): Promise<AccessToken>;
  invalidate(companyId: string): void;
  /** `seenExpiresAt`: the expiry of the token that got the 401, so a newer one held already is returned instead. */
  refreshNow(companyId: string, reason?: string, seenExpiresAt?: number): Promise<RefreshedToken>;
}

/** A request path that would send the company token somewhere other than the base URL. */
export class PlumApiPathError extends Error {
  override readonly name = 'PlumApiPathError';
  constructor(readonly path: string) {
    super(
      `the path "${path.slice(0, 200)}" leaves the Plum base URL (another origin or path prefix): PlumApi sends the company token only under its baseUrl; pass a path relative to it`,
    );
  }
}

/** Plum's 401s that are about something other than the token: rotating would not help and would spend it. */
const NOT_ABOUT_THE_TOKEN_OAUTH = new Set(['invalid_client', 'unauthorized_client']);

/**
 * Whether a 401's body names a cause other than the token: one of Plum's application errors (`{"errorId": …}`, e.g.
 * `PIPE10017` IP not whitelisted, a disabled user or company, a bad API client) or an OAuth client error.
 */
export async function unauthorizedBeyondToken(response: Response): Promise<boolean> {
  let body: unknown;
  try {
    body = JSON.parse(await response.clone().text());
  } catch {
    return false;
  }
  if (body === null || typeof body !== 'object') return false;
  const { errorId, error } = body as { errorId?: unknown; error?: unknown };
  return typeof errorId === 'string' || (typeof error === 'string' && NOT_ABOUT_THE_TOKEN_OAUTH.has(error));
}

export interface PlumApiOptions {
  /** Plum's API base, e.g. `https://accounts.xoxoday.com/chef`; request paths are resolved against it. */
  baseUrl: string;
  /**
   * The longest `Retry-After` of a 429 this helper sleeps out before retrying once (default 0: never sleeps, the 429
   * goes back to the caller with its `Retry-After`).
   */
  maxRetryAfterMs?: number;
  /** The fetch to send with (default the global one). */
  fetch?: typeof fetch;
}

/** How long a response's `Retry-After` asks to wait (seconds or an HTTP date), or undefined without one. */
export function retryAfterMs(response: Response, now = Date.now()): number | undefined {
  const header = response.headers.get('retry-after');
  if (header === null) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * Calls Plum's API with a company's token from the keeper, the way every service otherwise writes by hand: the token
 * as the bearer, sent under the base URL only; on a 401 about the token, the cached token dropped, one `refreshNow`
 * (which sends the expiry of the token that request carried, so a rotation another request already made is not
 * repeated) and one retry, whose answer is returned as it is; a 401 whose body names another cause (an IP whitelist,
 * a disabled account) returned at once; a 429 returned with its `Retry-After`, slept out and retried once only when
 * it is within `maxRetryAfterMs` (docs/wire-protocol.md, client rule 5).
 */
export class PlumApi {
  private readonly base: URL;
  private readonly send: typeof fetch;

  constructor(
    private readonly keeper: TokenSource,
    private readonly options: PlumApiOptions,
  ) {
    this.base = new URL(options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`);
    this.send = options.fetch ?? fetch;
  }

  /**
   * Sends `init` to `path` (relative to the base URL) as `companyId`; the answer is Plum's response, unread. Throws
   * {@link PlumApiPathError}, before anything is sent, for a path that leaves the base URL.
   */
  async request(companyId: string, path: string, init: RequestInit = {}): Promise<Response> {
    const url = this.resolve(path);
    const sent = await this.keeper.getAccessToken(companyId);
    let response = await this.sendWith(url, init, sent.accessToken);
    if (response.status === 401 && !(await unauthorizedBeyondToken(response))) {
      await response.body?.cancel();
      this.keeper.invalidate(companyId);
      const reason = `Plum answered 401 to ${url.pathname}`;
      const fresh = await this.keeper.refreshNow(companyId, reason, sent.expiresAt);
      response = await this.sendWith(url, init, fresh.accessToken);
    }
    const wait = response.status === 429 ? retryAfterMs(response) : undefined;
    if (wait !== undefined && wait <= (this.options.maxRetryAfterMs ?? 0)) {
      await response.body?.cancel();
      await sleep(wait);
      const { accessToken: current } = await this.keeper.getAccessToken(companyId);
      response = await this.sendWith(url, init, current);
    }
    return response;
  }

  /** `path` under the base URL; a path that would reach another origin or leave the base's prefix is refused. */
  private resolve(path: string): URL {
    let url: URL;
    try {
      url = new URL(path.replace(/^\/+/, ''), this.base);
    } catch {
      throw new PlumApiPathError(path);
    }
    if (url.origin !== this.base.origin || !url.pathname.startsWith(this.base.pathname))
      throw new PlumApiPathError(path);
    return url;
  }

  private sendWith(url: URL, init: RequestInit, token: string): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${token}`);
    return this.send(url, { ...init, headers });
  }
}
