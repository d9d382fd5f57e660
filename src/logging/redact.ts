/** Field names whose values are secrets wherever they appear in logged objects. */
export const SECRET_FIELD_NAMES = [
  'access_token',
  'accessToken',
  'refresh_token',
  'refreshToken',
  'client_secret',
  'clientSecret',
  'company_access_token',
  'companyAccessToken',
  'authorization',
  'password',
  'api_key',
  'apiKey',
  'tokens',
  'secret',
  'webhookSecret',
] as const;

const SECRET_FIELD = new RegExp(`^(${SECRET_FIELD_NAMES.map((name) => name.replace(/_/g, '_?')).join('|')})$`, 'i');

const TEXT_PATTERNS: [RegExp, string][] = [
  // JSON-ish "field": "value" pairs for secret fields.
  [/("(?:access_?token|refresh_?token|client_?secret|authorization)"\s*:\s*)"[^"]*"/gi, '$1"[REDACTED]"'],
  [/\bBearer\s+[A-Za-z0-9._~+/=-]+/gi, 'Bearer [REDACTED]'],
  // JWTs (Plum's access tokens are JWTs).
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\b/g, '[REDACTED-JWT]'],
  // The sandbox's tokens and secrets.
  [/\bsbx_(?:at|rt|ut|urt|secret)_[A-Za-z0-9_-]+/g, '[REDACTED]'],
];

/** True when a field of this name holds a secret. */
export function isSecretField(name: string): boolean {
  return SECRET_FIELD.test(name);
}

/** Replaces anything that looks like a token or secret in free text. */
export function redactText(text: string): string {
  return TEXT_PATTERNS.reduce((out, [pattern, replacement]) => out.replace(pattern, replacement), text);
}

/** A copy of `value` with secret fields and secret-looking strings replaced; safe to log. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return { name: value.name, message: redactText(value.message) };
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, isSecretField(key) ? '[REDACTED]' : redact(item, depth + 1)]),
  );
}
