import type { KeyRing } from './key-ring';
import { aesOpen, aesSeal } from './aes-gcm-codec';

/** Field names whose string values are tokens, in the keeper's camelCase and in Plum's snake_case. */
const TOKEN_FIELDS: ReadonlySet<string> = new Set([
  'accessToken',
  'refreshToken',
  'companyAccessToken',
  'access_token',
  'refresh_token',
]);

const SEALED_PREFIX = 'sealed:v1:';

/** A sealed token names a key the token ring lacks, or was tampered with. */
export class TokenUnsealError extends Error {
  override readonly name = 'TokenUnsealError';
  constructor(
    message: string,
    /** The key id the value names, when the ring lacks it. */
    readonly keyId?: string,
  ) {
    super(message);
  }
}

export const isSealed = (value: unknown): value is string =>
  typeof value === 'string' && value.startsWith(SEALED_PREFIX);

/** Returns a copy of `value` with `transform` applied to every token field's string value, at any depth. */
function mapTokens(value: unknown, transform: (token: string) => string): unknown {
  if (Array.isArray(value)) return value.map((item) => mapTokens(item, transform));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, field]) => [
      key,
      TOKEN_FIELDS.has(key) && typeof field === 'string' ? transform(field) : mapTokens(field, transform),
    ]),
  );
}

/** Whether `value` holds a token field with a value that is not sealed. */
export function holdsOpenTokens(value: unknown): boolean {
  let found = false;
  mapTokens(value, (token) => {
    if (!isSealed(token)) found = true;
    return token;
  });
  return found;
}

/**
 * Seals token values inside JSON with a key ring of their own, which workers and token-reading services hold and the
 * codec server (and so the Temporal UI) does not: operators see the state around a token, never the token.
 */
export class TokenSealer {
  constructor(private readonly ring: KeyRing) {}

  seal(value: unknown): unknown {
    return mapTokens(value, (token) => {
      if (isSealed(token)) return token;
      const sealed = aesSeal(this.ring.activeKey, Buffer.from(token, 'utf8')).toString('base64');
      return `${SEALED_PREFIX}${this.ring.activeKeyId}:${sealed}`;
    });
  }

  unseal(value: unknown): unknown {
    return mapTokens(value, (token) => {
      if (!isSealed(token)) return token;
      const rest = token.slice(SEALED_PREFIX.length);
      const colon = rest.indexOf(':');
      const keyId = rest.slice(0, colon);
      if (!this.ring.keyIds.includes(keyId)) {
        throw new TokenUnsealError(
          `a token is sealed with key id "${keyId.slice(0, 64)}", which is not in the token key ring (known: ${this.ring.keyIds.join(', ')}); add it to PLUM_TOKEN_KEYS`,
          keyId.slice(0, 64),
        );
      }
      try {
        return aesOpen(this.ring.key(keyId), Buffer.from(rest.slice(colon + 1), 'base64')).toString('utf8');
      } catch {
        throw new TokenUnsealError(`a token sealed with key id "${keyId}" failed authentication`);
      }
    });
  }
}
