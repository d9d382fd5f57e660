export { TokenKeeperClient } from './token-keeper-client';
export { PlumApi, PlumApiPathError, retryAfterMs, unauthorizedBeyondToken } from './plum-api';
export type { PlumApiOptions, TokenSource } from './plum-api';
export type { CompanySummary, TokenKeeperClientOptions, TokenKeeperConnectOptions } from './token-keeper-client';
export {
  InvalidInputError,
  KeeperRunEndedError,
  NeedsReauthError,
  NoTokenYetError,
  NoWorkerError,
  NotEnrolledError,
  RefreshFailedError,
  ReseedRefusedError,
  StaleTokensError,
  TemporalUnavailableError,
  TokenExpiredError,
  TokenKeeperError,
  TokenKeyRingMissingError,
  UserTokenRejectedError,
} from './errors';
export { createDataConverter } from '../codec/data-converter';
export { KeyRing, parseKeyRing } from '../codec/key-ring';
export { EnrolmentPublicKey } from '../codec/enrolment-seal';
export type {
  AccessToken,
  KeeperVersion,
  PlumTokens,
  RefreshedToken,
  StatusResult,
  TokenStatus,
  UserTokenResult,
} from '../contract';
export { connectTemporalClient } from './temporal-client';
export type { TemporalClientOptions } from './temporal-client';
