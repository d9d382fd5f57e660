import fc from 'fast-check';

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
