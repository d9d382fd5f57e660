import { credentialsRefused } from './connection-diagnosis';
import {
  ServiceError,
  WorkflowNotFoundError,
  isGrpcServiceError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { AccessToken, AccessTokenResult, StatusReason, StatusResult } from '../contract';
import { FAILURE_TYPES } from '../contract';
import { isSealed } from '../codec/token-seal';
import {
  InvalidInputError,
  NeedsReauthError,
  NoTokenYetError,
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

/** gRPC status codes the client reacts to. */
export const GRPC = {
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  FAILED_PRECONDITION: 9,
  DEADLINE_EXCEEDED: 4,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
  PERMISSION_DENIED: 7,
} as const;

/** The gRPC error type `isGrpcServiceError` recognises (grpc-js's `ServiceError`, not re-exported by the SDK). */
type GrpcServiceError = typeof isGrpcServiceError extends (error: unknown) => error is infer T ? T : never;

/** The gRPC error of a failed Temporal call: the error itself, or the one a `ServiceError` wraps. */
export function grpcErrorOf(error: unknown): GrpcServiceError | undefined {
  if (isGrpcServiceError(error)) return error;
  if (error instanceof ServiceError && isGrpcServiceError(error.cause)) return error.cause;
  return undefined;
}

/** `answer` when its token is a token; a sealed one means this client lacks the token key ring. */
export function openToken<T extends { accessToken: string }>(companyId: string, answer: T): T {
  if (isSealed(answer.accessToken)) throw new TokenKeyRingMissingError(companyId);
  return answer;
}

/** The token of a tagged `accessToken` answer, or the library error that says why there is none. */
export function tokenOrError(companyId: string, answer: AccessTokenResult, now: number): AccessToken {
  if (answer.ok) {
    const { ok: _ok, ...token } = answer;
    // The workflow's clock and ours may differ: never hand out a token this process sees as expired. An expiry of 0
    // means the keeper does not know it (enrolled while Plum could not say): usable, not expired.
    if (token.expiresAt !== 0 && token.expiresAt <= now) throw new TokenExpiredError(companyId, token.expiresAt);
    return token;
  }
  switch (answer.why) {
    case 'RETIRED':
      throw new NotEnrolledError(companyId);
    case 'NEEDS_REAUTH':
      throw new NeedsReauthError(companyId, answer.reason);
    case 'EXPIRED':
      throw new TokenExpiredError(companyId, answer.expiredAt);
    case 'NO_TOKEN_YET':
      throw new NoTokenYetError(companyId, answer.status);
  }
}

/** Turns a Temporal client failure into the library's typed errors, by failure type and gRPC code, never by text. */
export function translateFailure(error: unknown, companyId: string): Error {
  if (error instanceof TokenKeeperError) return error;
  if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) {
    const { type, message, details } = error.cause;
    const detail = (details?.[0] ?? {}) as { reason?: StatusReason; field?: string; status?: StatusResult['status'] };
    if (type === FAILURE_TYPES.needsReauth) return new NeedsReauthError(companyId, detail.reason);
    if (type === FAILURE_TYPES.refreshFailed) {
      // The attempt this call waited for may itself have found the set dead: say so, as a later call would.
      if (detail.status === 'NEEDS_REAUTH') return new NeedsReauthError(companyId, detail.reason);
      return new RefreshFailedError(companyId, detail.status, message);
    }
    if (type === FAILURE_TYPES.retired) return new NotEnrolledError(companyId);
    if (type === FAILURE_TYPES.invalidInput) return new InvalidInputError(detail.field ?? 'input', message);
    if (type === FAILURE_TYPES.staleTokens) return new StaleTokensError(companyId, message);
    if (type === FAILURE_TYPES.reseedRefused) return new ReseedRefusedError(companyId, message);
    if (type === FAILURE_TYPES.userTokenFailed) return new UserTokenRejectedError(companyId, detail.reason, message);
    if (type === FAILURE_TYPES.noValidToken) return new TokenExpiredError(companyId, undefined);
    return new Error(`${error.message}: ${message}`, { cause: error });
  }
  if (error instanceof WorkflowNotFoundError) return new NotEnrolledError(companyId);
  const code = grpcErrorOf(error)?.code;
  if (code === GRPC.NOT_FOUND) return new NotEnrolledError(companyId);
  if (code === GRPC.UNAVAILABLE || code === GRPC.DEADLINE_EXCEEDED) return new TemporalUnavailableError(error);
  if (code === GRPC.UNAUTHENTICATED || code === GRPC.PERMISSION_DENIED) {
    return new TemporalUnavailableError(error, credentialsRefused(error));
  }
  if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return new TemporalUnavailableError(error);
  return error instanceof Error ? error : new Error(String(error));
}
