import fc from 'fast-check';
import { MAX_EPOCH_MS } from '../../src/contract';
import type { RefreshOutcome } from '../../src/workflows/transitions';

/** A value no message, log line or output may ever contain: planted in secrets and bodies, then searched for. */
export const MARK = 'zzSECRETzz';

/** Strings a person or a proxy might send: numbers as text, blanks, hex, huge digits, markup, unicode. */
export const awkwardString = fc.oneof(
  fc.string(),
  fc.constantFrom('', ' ', '0x0', '1e3', 'NaN', '-1', '99999999999999999999', '<html>', 'null', '∞', '1_000'),
  fc.integer().map(String),
  fc.double().map(String),
);

/** JSON-ish values Plum (or something in front of it) might answer with. */
export const jsonish = fc.oneof(
  fc.jsonValue(),
  fc.record({
    access_token: fc.oneof(fc.string(), fc.integer()),
    refresh_token: fc.oneof(fc.string(), fc.constant(undefined)),
    expires_in: fc.oneof(fc.integer(), awkwardString, fc.double()),
    access_token_expiry: fc.oneof(fc.nat(), fc.double(), awkwardString, fc.constant(9e15)),
  }),
  fc.record({
    errors: fc.array(fc.record({ message: fc.string(), penaltySeconds: fc.oneof(fc.double(), fc.string()) })),
  }),
  fc.record({ error: fc.string(), error_description: fc.string() }),
);

/** Reply bodies as bytes on the wire: JSON, truncated JSON, HTML pages, empty, plain text. */
export const replyBody = fc.oneof(
  jsonish.map((value) => JSON.stringify(value) ?? ''),
  jsonish.map((value) => (JSON.stringify(value) ?? '').slice(0, 7)),
  fc.constantFrom('', '<html><body><h1>502 Bad Gateway</h1></body></html>', 'OK', '{', 'null', '[]'),
  fc.string().map((s) => `<!doctype html><title>${MARK}</title>${s}`),
);

/** Anything at all a caller could pass where a structured argument belongs. */
export const anyArgument = fc.oneof(
  fc.anything(),
  jsonish,
  fc.record({ reason: awkwardString }),
  fc.record({ reason: fc.string({ minLength: 400, maxLength: 2000 }) }),
  fc.record({ email: awkwardString, scope: awkwardString }),
  fc.record({ tokens: jsonish }),
);

/** Any way a refresh attempt can end, as the workflow classifies it. */
export const refreshOutcome: fc.Arbitrary<RefreshOutcome> = fc.oneof(
  fc.record({
    kind: fc.constant('ok' as const),
    tokens: fc.record({
      accessToken: fc.string({ minLength: 1 }),
      refreshToken: fc.string({ minLength: 1 }),
      tokenType: fc.constant('bearer'),
      accessTokenExpiresAt: fc.integer({ min: 0, max: MAX_EPOCH_MS }),
    }),
  }),
  fc.record({
    kind: fc.constant('rejected' as const),
    reason: fc.constantFrom('INVALID_GRANT', 'TOKEN_KILLED', 'COMPANY_DISABLED' as const),
    afterUnknownOutcome: fc.boolean(),
    message: fc.string(),
  }),
  fc.record({
    kind: fc.constant('rate_limited' as const),
    retryAfterMs: fc.oneof(fc.double(), fc.constant(undefined)),
    message: fc.string(),
  }),
  fc.record({
    kind: fc.constantFrom(
      'no_credentials' as const,
      'unknown' as const,
      'server_error' as const,
      'not_sent' as const,
      'error' as const,
    ),
    message: fc.string({ maxLength: 500 }),
  }),
);
