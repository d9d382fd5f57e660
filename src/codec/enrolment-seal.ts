import {
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
} from 'node:crypto';
import { aesOpen, aesSeal } from './aes-gcm-codec';
import { KeyRingConfigError, parseKeyEntries } from './key-ring';
import { ENROLMENT_PREFIX, TokenUnsealError, isEnrolmentSealed, isSealed, mapTokens } from './token-seal';

const RAW_KEY_BYTES = 32;
const HKDF_INFO = Buffer.from('plum-token-keeper enrolment v1');
// DER headers of an X25519 key: the raw 32 bytes follow (RFC 8410).
const SPKI_HEADER = Buffer.from('302a300506032b656e032100', 'hex');
const PKCS8_HEADER = Buffer.from('302e020100300506032b656e04220420', 'hex');

const publicKeyOf = (raw: Buffer): KeyObject =>
  createPublicKey({ key: Buffer.concat([SPKI_HEADER, raw]), format: 'der', type: 'spki' });
const privateKeyOf = (raw: Buffer): KeyObject =>
  createPrivateKey({ key: Buffer.concat([PKCS8_HEADER, raw]), format: 'der', type: 'pkcs8' });
const rawPublic = (key: KeyObject): Buffer => key.export({ format: 'der', type: 'spki' }).subarray(SPKI_HEADER.length);

/** The AES key one sealed value is under: X25519 between an ephemeral key and the workers' key, through HKDF. */
function sharedKey(shared: Buffer, ephemeralPublic: Buffer, recipientPublic: Buffer): Buffer {
  const salt = Buffer.concat([ephemeralPublic, recipientPublic]);
  return Buffer.from(hkdfSync('sha256', shared, salt, HKDF_INFO, 32));
}

/** The keys of an enrolment variable, each 32 raw bytes (the ring format of `key-ring.ts`, whitespace allowed). */
function parseRawKeys(spec: string, variable: string): { id: string; key: Buffer }[] {
  const entries = parseKeyEntries(spec.trim().replace(/\s+/g, ','), variable);
  for (const { id, key } of entries) {
    if (key.length !== RAW_KEY_BYTES)
      throw new KeyRingConfigError(variable, `key "${id}" is ${key.length} bytes; an X25519 key is 32`);
  }
  return entries;
}

/**
 * The public half of the workers' enrolment key (`PLUM_ENROLMENT_PUBLIC_KEY`): operators, services and the codec
 * server seal the token sets they send with it. It opens nothing, so holding it gives no one any company's tokens.
 */
export class EnrolmentPublicKey {
  private constructor(
    readonly keyId: string,
    private readonly key: KeyObject,
    private readonly raw: Buffer,
  ) {}

  /** Parses `id:base64(32-byte X25519 public key)`. */
  static parse(spec: string, variable = 'PLUM_ENROLMENT_PUBLIC_KEY'): EnrolmentPublicKey {
    const [only, ...more] = parseRawKeys(spec, variable);
    if (!only || more.length > 0) throw new KeyRingConfigError(variable, 'names one public key: id:base64key');
    return new EnrolmentPublicKey(only.id, publicKeyOf(only.key), only.key);
  }

  /** The `id:base64` text of this key, as `PLUM_ENROLMENT_PUBLIC_KEY` spells it. */
  toString(): string {
    return `${this.keyId}:${this.raw.toString('base64')}`;
  }

  /** Every token value in `value` that is not sealed yet, sealed for the workers' enrolment key. */
  seal(value: unknown): unknown {
    return mapTokens(value, (token) => {
      if (isSealed(token) || isEnrolmentSealed(token)) return token;
      const ephemeral = generateKeyPairSync('x25519');
      const ephemeralPublic = rawPublic(ephemeral.publicKey);
      const shared = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: this.key });
      const sealed = aesSeal(sharedKey(shared, ephemeralPublic, this.raw), Buffer.from(token, 'utf8'));
      return `${ENROLMENT_PREFIX}${this.keyId}:${Buffer.concat([ephemeralPublic, sealed]).toString('base64')}`;
    });
  }
}

/**
 * The private halves of the enrolment key (`PLUM_ENROLMENT_KEYS`), by id: only workers hold them, and they open
 * what operators and clients sealed with the public half. Old keys stay in the ring while histories still hold sets
 * sealed for them.
 */
export class EnrolmentKeyRing {
  /** The public half of the active key: what operators, services and the codec server are given. */
  readonly publicKey: EnrolmentPublicKey;

  private constructor(
    private readonly keys: ReadonlyMap<string, { privateKey: KeyObject; publicRaw: Buffer }>,
    activeKeyId: string,
  ) {
    this.publicKey = EnrolmentPublicKey.parse(`${activeKeyId}:${keys.get(activeKeyId)!.publicRaw.toString('base64')}`);
  }

  /** Parses `id:base64(32-byte X25519 private key)` pairs separated by commas or whitespace; the last one is active. */
  static parse(spec: string, variable = 'PLUM_ENROLMENT_KEYS'): EnrolmentKeyRing {
    const entries = parseRawKeys(spec, variable);
    const keys = new Map<string, { privateKey: KeyObject; publicRaw: Buffer }>();
    for (const { id, key } of entries) {
      const privateKey = privateKeyOf(key);
      keys.set(id, { privateKey, publicRaw: rawPublic(createPublicKey(privateKey)) });
    }
    return new EnrolmentKeyRing(keys, entries.at(-1)!.id);
  }

  /** A new key pair's private half as `PLUM_ENROLMENT_KEYS` spells it. */
  static generate(keyId: string): string {
    const { privateKey } = generateKeyPairSync('x25519');
    const raw = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_HEADER.length);
    return `${keyId}:${raw.toString('base64')}`;
  }

  get keyIds(): string[] {
    return [...this.keys.keys()];
  }

  /** Whether `publicKey` is the public half of one of this ring's keys. */
  holds(publicKey: EnrolmentPublicKey): boolean {
    const key = this.keys.get(publicKey.keyId);
    return key !== undefined && `${publicKey.keyId}:${key.publicRaw.toString('base64')}` === publicKey.toString();
  }

  /** `value` with every enrolment-sealed token opened; throws {@link TokenUnsealError} naming a key it lacks. */
  open(value: unknown): unknown {
    return mapTokens(value, (token) => {
      if (!isEnrolmentSealed(token)) return token;
      const rest = token.slice(ENROLMENT_PREFIX.length);
      const colon = rest.indexOf(':');
      const keyId = rest.slice(0, colon).slice(0, 64);
      const key = this.keys.get(keyId);
      if (!key) {
        throw new TokenUnsealError(
          `a token set is sealed for enrolment key "${keyId}", which is not in PLUM_ENROLMENT_KEYS (known: ${this.keyIds.join(', ')}); give every worker that key's private half`,
        );
      }
      const bytes = Buffer.from(rest.slice(colon + 1), 'base64');
      try {
        const ephemeralPublic = bytes.subarray(0, RAW_KEY_BYTES);
        const shared = diffieHellman({ privateKey: key.privateKey, publicKey: publicKeyOf(ephemeralPublic) });
        return aesOpen(sharedKey(shared, ephemeralPublic, key.publicRaw), bytes.subarray(RAW_KEY_BYTES)).toString(
          'utf8',
        );
      } catch {
        throw new TokenUnsealError(`a token sealed for enrolment key "${keyId}" failed authentication`);
      }
    });
  }
}
