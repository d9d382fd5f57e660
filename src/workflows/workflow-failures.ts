import { ActivityFailure, ApplicationFailure, TimeoutFailure } from '@temporalio/common';
import type { PlumFailureDetails, StatusReason, StatusResult, TokenSet } from '../contract';
import { FAILURE_TYPES, QUERY_FAILURE_TYPE } from '../contract';
import type { RefreshOutcome } from './transitions';

/** Refuses bad input; `field` names the first bad field for clients to show. */
export function invalidInput(message: string, field?: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: FAILURE_TYPES.invalidInput,
    message,
    nonRetryable: true,
    details: field === undefined ? [] : [{ field }],
  });
}

export function retiredFailure(): ApplicationFailure {
  return ApplicationFailure.create({
    type: FAILURE_TYPES.retired,
    message: 'this company is retired; enrol it again to keep its tokens',
    nonRetryable: true,
  });
}

export function needsReauthFailure(companyId: string, reason: StatusReason | undefined): ApplicationFailure {
  return ApplicationFailure.create({
    type: FAILURE_TYPES.needsReauth,
    message: `company ${companyId} needs re-authorisation (${reason ?? 'unknown reason'}): generate new tokens in the Plum dashboard and reseed`,
    nonRetryable: true,
    details: [{ reason }],
  });
}

export function staleTokensFailure(companyId: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: FAILURE_TYPES.staleTokens,
    message: `this token set is older than the one company ${companyId} holds: the keeper already rotated its refresh token. Use the newest set, or generate new tokens in the Plum dashboard`,
    nonRetryable: true,
  });
}

/** Plum refused the set a reseed installed; the keeper holds the set it had before again. */
export function reseedRefusedFailure(companyId: string, why: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: FAILURE_TYPES.reseedRefused,
    message: `company ${companyId}: ${why}. Check the set (the newest from the Plum dashboard, this company's) and reseed again`,
    nonRetryable: true,
  });
}

/** `refreshNow` could not deliver a newer token; the details carry the status. */
export function refreshFailure(retired: boolean, status: StatusResult): ApplicationFailure {
  const why = `status ${status.status}${status.reason ? `, ${status.reason}` : ''}`;
  return ApplicationFailure.create({
    type: retired ? FAILURE_TYPES.retired : FAILURE_TYPES.refreshFailed,
    message: retired
      ? 'the company was retired before the refresh ran'
      : `refresh failed (${why}): ${status.lastError ?? 'unknown error'}`,
    nonRetryable: true,
    details: [status],
  });
}

/** A failure thrown by a query handler: it never enters history and reaches clients as readable text. */
export function queryFailure(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: QUERY_FAILURE_TYPE, message, nonRetryable: true });
}

/** The message of a failure, from the deepest cause that has one; Plum messages never hold secrets. */
export function failureMessage(error: unknown): string {
  let current: unknown = error;
  let message = 'unknown error';
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    if (current.message) message = current.message;
    current = (current as { cause?: unknown }).cause;
  }
  return message.slice(0, 500);
}

/** The ApplicationFailure type and Plum details behind an activity failure, if any. */
export function plumFailureOf(error: unknown): { type?: string; details?: PlumFailureDetails; cause: unknown } {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  if (!(cause instanceof ApplicationFailure)) return { cause };
  return { type: cause.type ?? undefined, details: cause.details?.[0] as PlumFailureDetails | undefined, cause };
}

/**
 * How a failed refresh activity ended, in the Plum call outcomes its details carry (a timeout, or an attempt after one
 * that died mid-call, is `unknown`: Plum may have rotated).
 */
export function classifyRefreshFailure(error: unknown): Exclude<RefreshOutcome, { kind: 'ok' }> {
  const { type, details, cause } = plumFailureOf(error);
  const message = failureMessage(error);
  if (type === FAILURE_TYPES.noCredentials) return { kind: 'no_credentials', message };
  if (type === FAILURE_TYPES.notSent) return { kind: 'not_sent', message };
  const outcome = details?.outcome;
  if (outcome === 'rejected') {
    return {
      kind: 'rejected',
      reason: (details?.reason ?? 'BAD_REQUEST') as StatusReason,
      afterUnknownOutcome: details?.afterUnknownOutcome === true,
      message,
    };
  }
  if (outcome === 'rate_limited') return { kind: 'rate_limited', retryAfterMs: details?.retryAfterMs, message };
  if (outcome === 'unknown' || cause instanceof TimeoutFailure || details?.afterUnknownOutcome) {
    return { kind: 'unknown', message };
  }
  return { kind: outcome ?? 'error', message };
}

/** A short name of the failure for logs. */
export function failureKind(error: unknown): string {
  const { type, cause } = plumFailureOf(error);
  return type ?? (cause instanceof Error ? cause.name : 'unknown');
}

/** The token set a refresh attempt heartbeated before it timed out (Plum answered; the completion was lost). */
export function savedReplyOf(error: unknown): TokenSet | undefined {
  if (!(error instanceof ActivityFailure) || !(error.cause instanceof TimeoutFailure)) return undefined;
  const saved = (error.cause.lastHeartbeatDetails as { tokens?: Partial<TokenSet> } | undefined)?.tokens;
  if (
    typeof saved?.accessToken !== 'string' ||
    typeof saved.refreshToken !== 'string' ||
    typeof saved.tokenType !== 'string' ||
    typeof saved.accessTokenExpiresAt !== 'number'
  ) {
    return undefined;
  }
  return {
    accessToken: saved.accessToken,
    refreshToken: saved.refreshToken,
    tokenType: saved.tokenType,
    accessTokenExpiresAt: saved.accessTokenExpiresAt,
    ...(typeof saved.refreshTokenExpiresAt === 'number' && { refreshTokenExpiresAt: saved.refreshTokenExpiresAt }),
  };
}
