// The options and row shapes of TokenKeeperClient, apart so the class file stays about behaviour.
import type { Client, ConnectionOptions } from '@temporalio/client';
import type { KeyRing } from '../codec/key-ring';
import type { TokenStatus } from '../contract';

/** What `TokenKeeperClient.connect` needs: where Temporal is, how to reach it, and the key rings. */
export interface TokenKeeperConnectOptions {
  address: string;
  namespace?: string;
  keyRing: KeyRing;
  /** The token-sealing ring (`PLUM_TOKEN_KEYS`): without it, tokens read back sealed. */
  tokenKeyRing?: KeyRing;
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
