import { z } from 'zod';
import type { PlumOperation, RejectionReason } from './errors';
import { PlumRateLimitedError, PlumRejectedError, PlumServerError, PlumUnrecognisedReplyError } from './errors';

const DEFAULT_PENALTY_SECONDS = 60;
/** The longest wait a rate-limit reply may impose (a day): a larger penalty or `Retry-After` is cut to this. */
export const MAX_PENALTY_MS = 24 * 3600_000;
const RATE_LIMIT_MESSAGE = 'auth.request_limit_exceeded';

const oauthShape = z.object({ error: z.string(), error_description: z.string().optional() });
const legacyShape = z.object({
  success: z.union([z.literal(0), z.literal('0'), z.literal(false)]),
  error_message_id: z.string(),
});
const applicationShape = z.object({ errorId: z.string(), code: z.union([z.number(), z.string()]).optional() });
const rateLimitFlat = z.object({ message: z.literal(RATE_LIMIT_MESSAGE) });
const rateLimitList = z.object({
  errors: z
    .array(z.object({ message: z.string(), penaltySeconds: z.union([z.number(), z.string()]).optional() }))
    .min(1),
});

const OAUTH_REASONS: Record<string, RejectionReason> = {
  invalid_grant: 'INVALID_GRANT',
  invalid_token: 'TOKEN_KILLED',
  invalid_request: 'BAD_REQUEST',
  unauthorized_client: 'INVALID_CLIENT',
  invalid_client: 'INVALID_CLIENT',
};

const APPLICATION_REASONS: Record<string, RejectionReason> = {
  PIPE10015: 'USER_DISABLED',
  PIPE10016: 'COMPANY_DISABLED',
  PIPE10017: 'IP_NOT_WHITELISTED',
  PLE10014: 'INVALID_CLIENT',
};

/** Only short code-like strings from a body may appear in messages, never free text that could echo a token. */
function safeCode(value: string): string {
  return /^[A-Za-z0-9._-]{1,64}$/.test(value) ? value : '<unprintable>';
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Parses `Retry-After` (seconds or an HTTP date) into milliseconds from `now`. */
export function retryAfterMs(header: string | null, now: number): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function penaltyFrom(body: unknown): number | undefined | null {
  if (rateLimitFlat.safeParse(body).success) return undefined;
  const list = rateLimitList.safeParse(body);
  if (!list.success) return null;
  const entry = list.data.errors.find((e) => e.message === RATE_LIMIT_MESSAGE);
  if (!entry) return null;
  const seconds = Number(entry.penaltySeconds);
  return entry.penaltySeconds !== undefined && Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}

/**
 * Classifies a non-2xx reply by its body shape first (the four shapes of docs/plum-api.md), then by status.
 * Returns the error to throw; never includes the body text.
 */
export function classifyErrorReply(
  operation: PlumOperation,
  status: number,
  headers: Headers,
  bodyText: string,
  now: number,
): PlumRejectedError | PlumRateLimitedError | PlumServerError | PlumUnrecognisedReplyError {
  const body = parseJson(bodyText);
  if (body === undefined && status !== 429 && status < 500) return new PlumUnrecognisedReplyError(operation, status);

  const penalty = penaltyFrom(body);
  if (penalty !== null || status === 429) {
    const fromHeader = retryAfterMs(headers.get('retry-after'), now);
    const delay = penalty !== undefined && penalty !== null ? penalty * 1000 : fromHeader;
    return new PlumRateLimitedError(
      operation,
      Math.min(delay ?? DEFAULT_PENALTY_SECONDS * 1000, MAX_PENALTY_MS),
      status,
    );
  }

  const application = applicationShape.safeParse(body);
  if (application.success) {
    const reason = APPLICATION_REASONS[application.data.errorId];
    if (reason) return new PlumRejectedError(operation, reason, status, `errorId ${application.data.errorId}`);
  }

  const legacy = legacyShape.safeParse(body);
  if (legacy.success) {
    return new PlumRejectedError(operation, 'TOKEN_KILLED', status, `legacy ${safeCode(legacy.data.error_message_id)}`);
  }

  if (operation === 'createUserToken' && status === 404) {
    return new PlumRejectedError(operation, 'USER_NOT_FOUND', status, 'Plum does not know this user');
  }

  const oauth = oauthShape.safeParse(body);
  if (oauth.success && status < 500) {
    const reason = OAUTH_REASONS[oauth.data.error] ?? 'BAD_REQUEST';
    return new PlumRejectedError(operation, reason, status, `OAuth ${safeCode(oauth.data.error)}`);
  }

  if (status >= 500) return new PlumServerError(operation, status);
  if (application.success) {
    return new PlumRejectedError(operation, 'BAD_REQUEST', status, `errorId ${safeCode(application.data.errorId)}`);
  }
  if (status === 401) return new PlumRejectedError(operation, 'INVALID_GRANT', status, 'unrecognised body');
  return new PlumRejectedError(operation, 'BAD_REQUEST', status, 'unrecognised body');
}
