import type { ErrorShapeFault } from './faults';

/** An HTTP reply the sandbox is about to send. */
export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export const oauthError = (error: string, description: string, status = 400): Reply => ({
  status,
  body: { error, error_description: description },
});

export const legacyError = (status = 401): Reply => ({
  status,
  body: { success: 0, error_message_id: 'auth.token_error' },
});

const APPLICATION_INFO: Record<string, string> = {
  PIPE10015: 'User is disabled',
  PIPE10016: 'Company is disabled',
  PIPE10017: 'IP address is not whitelisted',
  PLE10014: 'Invalid client',
};

export const applicationError = (errorId: string, status = errorId === 'PLE10014' ? 400 : 401): Reply => ({
  status,
  body: {
    code: status,
    errorId,
    errorInfo: APPLICATION_INFO[errorId] ?? 'Error',
    error: APPLICATION_INFO[errorId] ?? 'Error',
  },
});

export function rateLimitError(
  penaltySeconds: number,
  options: { flat?: boolean; status?: number; retryAfterSeconds?: number } = {},
): Reply {
  const headers: Record<string, string> = {};
  if (options.retryAfterSeconds !== undefined) headers['retry-after'] = String(options.retryAfterSeconds);
  return {
    status: options.status ?? 429,
    headers,
    body: options.flat
      ? { message: 'auth.request_limit_exceeded' }
      : { errors: [{ message: 'auth.request_limit_exceeded', penaltySeconds }] },
  };
}

export function shapeReply(fault: ErrorShapeFault): Reply {
  switch (fault.kind) {
    case 'oauth':
      return oauthError(fault.error, 'injected by the sandbox', fault.status ?? 401);
    case 'legacy':
      return legacyError(fault.status);
    case 'application':
      return applicationError(fault.errorId, fault.status);
    case 'rateLimit':
      return rateLimitError(fault.penaltySeconds ?? 60, fault);
  }
}
