import { setTimeout as sleep } from 'node:timers/promises';
import type { AccessToken, RefreshedToken } from '../contract';

/** The part of `TokenKeeperClient` that calling Plum needs. */
export interface TokenSource {
  getAccessToken(companyId: string): Promise<AccessToken>;
  invalidate(companyId: string): void;
  refreshNow(companyId: string, reason?: string): Promise<RefreshedToken>;
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
 * as the bearer; on a 401, the cached token dropped, one `refreshNow` (which sends the expiry this process saw, so a
 * rotation another caller already made is not repeated) and one retry; a 429 returned with its `Retry-After`, slept
 * out and retried once only when it is within `maxRetryAfterMs`.
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

  /** Sends `init` to `path` (relative to the base URL) as `companyId`; the answer is Plum's response, unread. */
  async request(companyId: string, path: string, init: RequestInit = {}): Promise<Response> {
    const url = new URL(path.replace(/^\//, ''), this.base);
    const { accessToken } = await this.keeper.getAccessToken(companyId);
    let response = await this.sendWith(url, init, accessToken);
    if (response.status === 401) {
      await response.body?.cancel();
      this.keeper.invalidate(companyId);
      const fresh = await this.keeper.refreshNow(companyId, `Plum answered 401 to ${url.pathname}`);
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

  private sendWith(url: URL, init: RequestInit, token: string): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${token}`);
    return this.send(url, { ...init, headers });
  }
}
