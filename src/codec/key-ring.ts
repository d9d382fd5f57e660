import { readFileSync } from 'node:fs';

/** A key-ring configuration that cannot be used; names the variable and key id, never key material. */
export class KeyRingConfigError extends Error {
  override readonly name = 'KeyRingConfigError';
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable}: ${problem}`);
  }
}

/** A payload was encrypted under a key this ring does not hold. */
export class UnknownKeyIdError extends Error {
  override readonly name = 'UnknownKeyIdError';
  constructor(
    readonly keyId: string,
    known: string[],
  ) {
    super(
      `payload is encrypted with key id "${keyId}", which is not in the key ring (known: ${known.join(', ') || 'none'}); add that key to PLUM_CODEC_KEYS to read it`,
    );
  }
}

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** AES-256 keys by id; `activeKeyId` encrypts, every key decrypts, so keys rotate without losing old histories. */
export class KeyRing {
  private constructor(
    private readonly keys: ReadonlyMap<string, Buffer>,
    readonly activeKeyId: string,
  ) {}

  static of(keys: Record<string, Buffer>, activeKeyId: string, variable = 'PLUM_CODEC_KEYS'): KeyRing {
    for (const [id, key] of Object.entries(keys)) {
      if (!KEY_ID.test(id)) throw new KeyRingConfigError(variable, 'a key id is not 1–64 of [A-Za-z0-9._-]');
      if (key.length !== 32)
        throw new KeyRingConfigError(variable, `key "${id}" is ${key.length} bytes; AES-256 needs 32`);
    }
    if (!(activeKeyId in keys)) {
      throw new KeyRingConfigError(
        variable.replace(/_KEYS(_FILE)?$/, '_ACTIVE_KEY_ID'),
        `"${activeKeyId.slice(0, 64)}" is not one of the keys (${Object.keys(keys).join(', ')})`,
      );
    }
    return new KeyRing(new Map(Object.entries(keys)), activeKeyId);
  }

  get activeKey(): Buffer {
    return this.keys.get(this.activeKeyId)!;
  }

  key(keyId: string): Buffer {
    const key = this.keys.get(keyId);
    if (!key) throw new UnknownKeyIdError(keyId, [...this.keys.keys()]);
    return key;
  }

  get keyIds(): string[] {
    return [...this.keys.keys()];
  }
}

/**
 * Parses `id:base64key` pairs separated by commas, in their order; names the variable and the problem, never the key
 * material. The rings of this project (payload, token, enrolment) all spell their keys so.
 */
export function parseKeyEntries(spec: string, variable: string): { id: string; key: Buffer }[] {
  const keys: { id: string; key: Buffer }[] = [];
  const entries = spec
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.length === 0)
    throw new KeyRingConfigError(variable, 'holds no keys; expected id:base64key[,id:base64key…]');
  for (const [index, entry] of entries.entries()) {
    const colon = entry.indexOf(':');
    if (colon <= 0) throw new KeyRingConfigError(variable, `entry ${index + 1} is not id:base64key`);
    const id = entry.slice(0, colon);
    const material = entry.slice(colon + 1);
    // An id that breaks the pattern is most likely key material (an entry written key:id): never echo it.
    if (!KEY_ID.test(id)) {
      throw new KeyRingConfigError(
        variable,
        `entry ${index + 1}: the key id is not 1–64 of [A-Za-z0-9._-] (the format is id:base64key)`,
      );
    }
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(material)) {
      throw new KeyRingConfigError(variable, `key "${id}" is not base64`);
    }
    if (keys.some((known) => known.id === id)) throw new KeyRingConfigError(variable, `key id "${id}" appears twice`);
    keys.push({ id, key: Buffer.from(material, 'base64') });
  }
  return keys;
}

/**
 * Parses `id:base64key` pairs separated by commas (e.g. `2026a:…,2026b:…`); the active key is
 * `PLUM_CODEC_ACTIVE_KEY_ID`, else the last one listed.
 */
export function parseKeyRing(spec: string, activeKeyId: string | undefined, variable = 'PLUM_CODEC_KEYS'): KeyRing {
  const entries = parseKeyEntries(spec, variable);
  const keys = Object.fromEntries(entries.map(({ id, key }) => [id, key]));
  return KeyRing.of(keys, activeKeyId ?? entries.at(-1)!.id, variable);
}

/**
 * Reads a key ring from `<PREFIX>_KEYS` or `<PREFIX>_KEYS_FILE` with `<PREFIX>_ACTIVE_KEY_ID` (the payload ring is
 * `PLUM_CODEC`, the token-sealing ring `PLUM_TOKEN`); undefined when neither is set.
 */
export function keyRingFromEnv(
  env: Record<string, string | undefined>,
  prefix: 'PLUM_CODEC' | 'PLUM_TOKEN' = 'PLUM_CODEC',
): KeyRing | undefined {
  const variable = `${prefix}_KEYS`;
  const direct = env[variable];
  const file = env[`${variable}_FILE`];
  const active = env[`${prefix}_ACTIVE_KEY_ID`];
  if (direct !== undefined && file !== undefined) {
    throw new KeyRingConfigError(variable, `set only one of ${variable} and ${variable}_FILE`);
  }
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new KeyRingConfigError(
        `${variable}_FILE`,
        `cannot read ${file} (${(error as NodeJS.ErrnoException).code})`,
      );
    }
    return parseKeyRing(text.replace(/\s+/g, ','), active, `${variable}_FILE`);
  }
  if (direct === undefined) return undefined;
  return parseKeyRing(direct, active, variable);
}
