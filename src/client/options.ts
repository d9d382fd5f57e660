// The options and row shapes of TokenKeeperClient and the rules they feed, apart so the class file stays about behaviour.
import type { Client, ConnectionOptions } from '@temporalio/client';
import type { EnrolmentPublicKey } from '../codec/enrolment-seal';
import type { KeyRing } from '../codec/key-ring';
import type { AccessToken, TokenStatus } from '../contract';
import type { TemporalClientOptions } from './temporal-client';

/** What `TokenKeeperClient.connect` needs: where Temporal is, how to reach it, and the key rings. */
export interface TokenKeeperConnectOptions {
  address: string;
  namespace?: string;
  keyRing: KeyRing;
  /** The token-sealing ring (`PLUM_TOKEN_KEYS`): without it, tokens read back sealed. */
  tokenKeyRing?: KeyRing;
  /**
   * The workers' enrolment public key (`PLUM_ENROLMENT_PUBLIC_KEY`): without the token ring, `enrol` and `reseed` seal
   * the set with it, so it never reaches history readable with the payload ring alone.
   */
  enrolmentPublicKey?: EnrolmentPublicKey;
  taskQueue?: string;
  tls?: ConnectionOptions['tls'];
  apiKey?: string;
}

export interface TokenKeeperClientOptions {
  /** A Temporal client built with the project's data converter (`createDataConverter`). */
  client: Client;
  /** Task queue new keepers are started on (default `plum-tokens`). */
  taskQueue?: string;
  /** How long before the workflow's next refresh a cached token is dropped (default 5 s). */
  refreshMarginMs?: number;
  /** How long a user token is served from this process's cache before the workflow is asked again (default 5 min). */
  userTokenTtlMs?: number;
  /** Most access tokens (one per company) and user tokens kept in this process (default 100,000 and 10,000). */
  maxCachedAccessTokens?: number;
  maxCachedUserTokens?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/** One row of `TokenKeeperClient.list`. */
export interface CompanySummary {
  companyId: string;
  status: TokenStatus | undefined;
  accessTokenExpiresAt?: Date;
  nextRefreshAt?: Date;
  workflowId: string;
}

/** The Temporal client `TokenKeeperClient.connect` builds from its options. */
export function temporalClientOptionsOf(options: TokenKeeperConnectOptions): TemporalClientOptions {
  return {
    connectionOptions: {
      address: options.address,
      ...(options.tls !== undefined && { tls: options.tls }),
      ...(options.apiKey !== undefined && { apiKey: options.apiKey }),
    },
    namespace: options.namespace ?? 'default',
    keyRing: options.keyRing,
    ...(options.tokenKeyRing && { tokenKeyRing: options.tokenKeyRing }),
    ...(options.enrolmentPublicKey && { enrolmentPublicKey: options.enrolmentPublicKey }),
  };
}

/**
 * Until when a cached access token is handed out: shortly (`marginMs`) before the keeper's next refresh or the
 * token's expiry, whichever is first; a token not `ACTIVE` for a second only, so a recovery is seen soon.
 */
export function cachedUntil(token: AccessToken, now: number, marginMs: number): number {
  if (token.status !== 'ACTIVE') return now + 1000;
  const until = Math.min(token.nextRefreshAt ?? token.expiresAt, token.expiresAt) - marginMs;
  return Math.max(now + 1000, Math.min(until, token.expiresAt - marginMs));
}

/** Default bounds of a client's caches (companies; (company, e-mail, scope) triples); the oldest entry goes first. */
export const CACHE_LIMITS = { accessTokens: 100_000, userTokens: 10_000 } as const;
