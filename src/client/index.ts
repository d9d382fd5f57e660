export { TokenKeeperClient } from './token-keeper-client';
export type { CompanySummary, TokenKeeperClientOptions } from './token-keeper-client';
export {
  InvalidInputError,
  NeedsReauthError,
  NotEnrolledError,
  TemporalUnavailableError,
  TokenExpiredError,
  TokenKeeperError,
} from './errors';
export { createDataConverter } from '../codec/data-converter';
export { KeyRing, parseKeyRing } from '../codec/key-ring';
export type { AccessTokenResult, PlumTokens, StatusResult, TokenStatus, UserTokenResult } from '../workflows/messages';
