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
/** A token sealed for the workers' enrolment key (`enrolment-seal.ts`): opaque to everyone but the workers. */
export const ENROLMENT_PREFIX = 'enrolment:v1:';

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

/**
 * How deep the codec walks a value. Keeper messages nest a few levels; a crafted payload nested thousands deep would
 * overflow the stack of a recursive walk and fail every workflow task, so deeper values are refused whole.
 */
export const MAX_WALK_DEPTH = 64;

/** A value nested deeper than {@link MAX_WALK_DEPTH}: refused, never walked. */
export class TooDeepError extends Error {
  override readonly name = 'TooDeepError';
  constructor() {
    super(`the value is nested deeper than ${MAX_WALK_DEPTH} levels, which no keeper message is`);
  }
}

/** Whether `value` is a sealed token (`sealed:v1:<key id>:<base64>`), not a token. */
export const isSealed = (value: unknown): value is string =>
  typeof value === 'string' && value.startsWith(SEALED_PREFIX);

/** Whether `value` is a token sealed for the workers' enrolment key (`enrolment:v1:<key id>:<base64>`). */
export const isEnrolmentSealed = (value: unknown): value is string =>
  typeof value === 'string' && value.startsWith(ENROLMENT_PREFIX);

/**
 * `value` with `transform` applied to every token field's string value, at any depth. Returns `value` itself when
 * nothing changed, so callers can skip re-serialising a payload without tokens.
 */
export function mapTokens(value: unknown, transform: (token: string) => string, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_WALK_DEPTH) throw new TooDeepError();
  let changed = false;
  const mapField = (key: string | undefined, field: unknown) => {
    const mapped =
      key !== undefined && TOKEN_FIELDS.has(key) && typeof field === 'string'
        ? transform(field)
        : mapTokens(field, transform, depth + 1);
    if (mapped !== field) changed = true;
    return mapped;
  };
  if (Array.isArray(value)) {
    const items = value.map((item) => mapField(undefined, item));
    return changed ? items : value;
  }
  const entries = Object.entries(value).map(([key, field]) => [key, mapField(key, field)] as const);
  return changed ? Object.fromEntries(entries) : value;
}

/** Whether `value` holds a token field whose value is readable with the payload ring alone, at any depth. */
export function holdsOpenTokens(value: unknown, depth = 0): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (depth >= MAX_WALK_DEPTH) throw new TooDeepError();
  return Object.entries(value).some(([key, field]) =>
    TOKEN_FIELDS.has(key) && typeof field === 'string'
      ? !isSealed(field) && !isEnrolmentSealed(field)
      : holdsOpenTokens(field, depth + 1),
  );
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
          `a token is sealed with key id "${keyId.slice(0, 64)}", which is not in the token key ring (known: ${this.ring.keyIds.join(', ')}); add it to PLUM_TOKEN_KEYS: a key rotation activated it on the workers before this process held it (add new keys everywhere first, activate them second)`,
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
