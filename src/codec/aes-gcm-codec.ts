import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { KeyRing } from './key-ring';

const ENCODING = 'binary/encrypted';
const KEY_ID_METADATA = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A payload that claims to be ours but cannot be decrypted (tampered, truncated, wrong key). */
export class PayloadDecryptionError extends Error {
  override readonly name = 'PayloadDecryptionError';
}

/**
 * AES-256-GCM of `plain` under `key`: a fresh 96-bit IV, then the ciphertext, then the 128-bit tag. `iv` is for the
 * conformance vectors only (docs/vectors): an IV must never repeat under a key.
 */
export function aesSeal(key: Buffer, plain: Uint8Array, iv: Buffer = randomBytes(IV_BYTES)): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  return Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
}

/** The plaintext of {@link aesSeal}'s output; throws when it was tampered with or sealed under another key. */
export function aesOpen(key: Buffer, sealed: Buffer): Buffer {
  if (sealed.length < IV_BYTES + TAG_BYTES) throw new Error('truncated');
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
}

const text = (value: string) => new TextEncoder().encode(value);
/** A payload metadata value as text (metadata values are UTF-8 bytes). */
export const metadataText = (bytes: Uint8Array | null | undefined): string | undefined =>
  bytes ? new TextDecoder().decode(bytes) : undefined;

/**
 * Encrypts whole payloads (metadata included) with AES-256-GCM under the key ring's active key, a fresh 96-bit IV
 * each; the key id travels in the outer metadata so any key of the ring can decrypt.
 */
export class AesGcmCodec implements PayloadCodec {
  constructor(private readonly keyRing: KeyRing) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const sealed = aesSeal(this.keyRing.activeKey, temporal.api.common.v1.Payload.encode(payload).finish());
      return {
        metadata: { encoding: text(ENCODING), [KEY_ID_METADATA]: text(this.keyRing.activeKeyId) },
        data: sealed,
      };
    });
  }

  /** Whether `payload` came encrypted by this codec (anything else is decoded as it is). */
  static isEncrypted(payload: Payload): boolean {
    return metadataText(payload.metadata?.encoding) === ENCODING;
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (!AesGcmCodec.isEncrypted(payload)) return payload;
      const keyId = metadataText(payload.metadata?.[KEY_ID_METADATA]);
      if (!keyId) throw new PayloadDecryptionError('encrypted payload without an encryption-key-id');
      const key = this.keyRing.key(keyId);
      const data = Buffer.from(payload.data ?? new Uint8Array());
      if (data.length < IV_BYTES + TAG_BYTES)
        throw new PayloadDecryptionError(`encrypted payload (key "${keyId}") is truncated`);
      try {
        return temporal.api.common.v1.Payload.decode(aesOpen(key, data)) as Payload;
      } catch {
        throw new PayloadDecryptionError(
          `payload under key "${keyId}" failed authentication: tampered, or a different key with that id`,
        );
      }
    });
  }
}
