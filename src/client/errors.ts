import type { StatusReason, TokenStatus } from '../contract';
import { nextStepFor } from '../contract';
import type { ConnectionDiagnosis } from './connection-diagnosis';

/** Base of every error the client library throws; `hint` says what to do next. */
export abstract class TokenKeeperError extends Error {
  abstract readonly hint: string;
}

/** No keeper runs for this company (never enrolled, or retired). */
export class NotEnrolledError extends TokenKeeperError {
  override readonly name = 'NotEnrolledError';
  readonly hint = 'enrol the company first (plum-keeper enrol <companyId> --tokens-file …)';
  constructor(readonly companyId: string) {
    super(`company ${companyId} is not enrolled (no running keeper workflow)`);
  }
}

/** Plum refused the company for good; `hint` is the cure for `reason` (new tokens, or the credentials file, …). */
export class NeedsReauthError extends TokenKeeperError {
  override readonly name = 'NeedsReauthError';
  readonly hint: string;
  constructor(
    readonly companyId: string,
    readonly reason: StatusReason | undefined,
  ) {
    super(`company ${companyId} needs re-authorisation (${reason ?? 'unknown reason'})`);
    this.hint = nextStepFor({ companyId, status: 'NEEDS_REAUTH', ...(reason && { reason }) });
  }
}

/** The access token ran out while refreshes kept failing; the keeper is still retrying. */
export class TokenExpiredError extends TokenKeeperError {
  override readonly name = 'TokenExpiredError';
  readonly hint = 'check the keeper status (lastError) and Plum’s availability; it retries on its own';
  constructor(
    readonly companyId: string,
    readonly expiredAt: number | undefined,
  ) {
    super(
      `the access token of company ${companyId} has expired${expiredAt ? ` (at ${new Date(expiredAt).toISOString()})` : ''}`,
    );
  }
}

/** The keeper holds no access token yet (enrolled with a refresh token only, and the first refresh is pending). */
export class NoTokenYetError extends TokenKeeperError {
  override readonly name = 'NoTokenYetError';
  readonly hint = 'wait for the first refresh (plum-keeper status <companyId> shows its progress)';
  constructor(
    readonly companyId: string,
    readonly status: TokenStatus,
  ) {
    super(`company ${companyId} has no access token yet (status ${status})`);
  }
}

/** Plum refused a user-token exchange; `reason` says why (e.g. `USER_NOT_FOUND`, `USER_DISABLED`). */
export class UserTokenRejectedError extends TokenKeeperError {
  override readonly name = 'UserTokenRejectedError';
  readonly hint =
    'check the e-mail is a Super Admin of this company in the Plum dashboard, and that the user is enabled';
  constructor(
    readonly companyId: string,
    readonly reason: string | undefined,
    message: string,
  ) {
    super(`company ${companyId}: ${message}`);
  }
}

/** The set is older than the one the keeper holds (its refresh token was already rotated); installing it would lock the company out. */
export class StaleTokensError extends TokenKeeperError {
  override readonly name = 'StaleTokensError';
  readonly hint = 'use the newest token set, or generate new tokens in the Plum dashboard (Settings → API)';
  constructor(
    readonly companyId: string,
    message: string,
  ) {
    super(`company ${companyId}: ${message}`);
  }
}

/**
 * Plum refused the set a reseed (or a repeated enrolment) installed. Nothing was lost: the keeper holds the set it
 * had before the reseed again, and keeps serving its tokens.
 */
export class ReseedRefusedError extends TokenKeeperError {
  override readonly name = 'ReseedRefusedError';
  readonly hint =
    'check that the file holds the newest set for this company (Plum dashboard), then plum-keeper reseed <companyId> --tokens-file FILE again';
  constructor(
    readonly companyId: string,
    message: string,
  ) {
    super(message);
  }
}

/** A rotation asked for by `refreshNow` ran and failed; the keeper retries on its own unless the status says otherwise. */
export class RefreshFailedError extends TokenKeeperError {
  override readonly name = 'RefreshFailedError';
  readonly hint = 'plum-keeper status <companyId> shows the last error and when the keeper retries';
  constructor(
    readonly companyId: string,
    readonly status: TokenStatus | undefined,
    message: string,
  ) {
    super(`company ${companyId}: ${message}`);
  }
}

/** The company's keeper run ended without being retired (failed, terminated, timed out); `cause` says why. */
export class KeeperRunEndedError extends TokenKeeperError {
  override readonly name = 'KeeperRunEndedError';
  readonly hint =
    'fix what the cause names, then enrol the company again (plum-keeper enrol <companyId> --tokens-file FILE)';
  constructor(
    readonly companyId: string,
    readonly runStatus: string,
    readonly failure: string,
  ) {
    super(`the keeper of company ${companyId} has ${runStatus.toLowerCase()}${failure ? `: ${failure}` : ''}`);
  }
}

/** An argument was refused before anything was sent; `field` names it. */
export class InvalidInputError extends TokenKeeperError {
  override readonly name = 'InvalidInputError';
  readonly hint = 'fix the named field and try again';
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}

/** Temporal could not be reached. */
export class TemporalUnavailableError extends TokenKeeperError {
  override readonly name = 'TemporalUnavailableError';
  readonly hint: string;
  /** @param diagnosis what a probe of the address found (TLS, certificates, a closed port), when it found it */
  constructor(cause: unknown, diagnosis?: ConnectionDiagnosis) {
    const said = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
    super(`Temporal is unavailable: ${diagnosis?.problem ?? said}`, { cause });
    this.hint = diagnosis?.fix ?? 'check TEMPORAL_ADDRESS and that the Temporal server (or npm start) is running';
  }
}

/**
 * Temporal answered, but no worker took the keeper's query or update in time: no worker polls the keeper's task queue,
 * or (Worker Versioning) none of the build the keeper is pinned to. The token set is safe; nothing reads or rotates it
 * until a worker of that build runs or the keeper is moved to one that does.
 */
export class NoWorkerError extends TokenKeeperError {
  override readonly name = 'NoWorkerError';
  readonly hint: string;
  constructor(
    readonly companyId: string,
    /** The build the keeper is pinned to, when it is. */
    readonly build: string | undefined,
    cause?: unknown,
  ) {
    super(
      `no worker answered for company ${companyId}${build ? `: its keeper is pinned to build ${build}` : ''}; Temporal itself answers`,
      { cause },
    );
    this.hint = build
      ? `start workers of build ${build}, or make a polled build current and run plum-keeper upgrade (plum-keeper doctor shows the builds)`
      : 'start the keeper workers (npm start, or the worker deployment); plum-keeper doctor shows who polls';
  }
}

/**
 * The keeper answered with a sealed token (`sealed:v1:…`) and this client holds no token key ring to open it: the
 * value is not a token, and handing it out would cost a 401 and a rotation per `refreshNow`.
 */
export class TokenKeyRingMissingError extends TokenKeeperError {
  override readonly name = 'TokenKeyRingMissingError';
  readonly hint =
    'give the client the token key ring: PLUM_TOKEN_KEYS (tokenKeyRing in TokenKeeperClient.connect, the second ring of createDataConverter)';
  constructor(readonly companyId: string) {
    super(`the token of company ${companyId} arrived sealed and this client has no token key ring to open it`);
  }
}
